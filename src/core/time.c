/*
 * core/time.c - clock and DateTimeOffset parsing.
 */
#include "core/time.h"

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "core/err.h"

int64_t time_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

static bool digits(const char *s, size_t n, int *out)
{
    size_t i;
    int v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 0001-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int y, int m, int d)
{
    static const int cum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    int64_t yy = y - 1;
    int64_t days = yy * 365 + yy / 4 - yy / 100 + yy / 400;

    days += cum[m - 1] + (m > 2 && is_leap(y) ? 1 : 0) + d - 1;
    return days;
}

int time_parse_datetimeoffset(const char *s, size_t n, int64_t *ticks)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 0;
    int64_t frac = 0;
    size_t i;
    int64_t t;

    /* yyyy-mm-ddThh:mm */
    if (n < 17 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':')
        return CMP_EBADREQUEST;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi))
        return CMP_EBADREQUEST;
    i = 16;
    if (i < n && s[i] == ':') {
        if (n - i < 3 || !digits(s + i + 1, 2, &sec))
            return CMP_EBADREQUEST;
        i += 3;
        if (i < n && s[i] == '.') {
            int nd = 0;
            i++;
            while (i < n && s[i] >= '0' && s[i] <= '9') {
                if (nd < 7) {
                    frac = frac * 10 + (s[i] - '0');
                } else if (s[i] != '0') {
                    /* Finer than 100 ns cannot be kept exactly: refuse rather than round. */
                    return CMP_EBADREQUEST;
                }
                nd++;
                i++;
            }
            if (nd == 0)
                return CMP_EBADREQUEST;
            for (; nd < 7; nd++)
                frac *= 10;
        }
    }
    if (i >= n)
        return CMP_EBADREQUEST; /* the offset is mandatory */
    if (s[i] == 'Z' || s[i] == 'z') {
        if (i + 1 != n)
            return CMP_EBADREQUEST;
    } else if (s[i] == '+' || s[i] == '-') {
        sign = s[i] == '-' ? -1 : 1;
        if (n - i != 6 || s[i + 3] != ':' || !digits(s + i + 1, 2, &oh) ||
            !digits(s + i + 4, 2, &om) || oh > 14 || om > 59 || (oh == 14 && om))
            return CMP_EBADREQUEST;
    } else {
        return CMP_EBADREQUEST;
    }
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59)
        return CMP_EBADREQUEST;
    if (d > mdays[mo - 1] + (mo == 2 && is_leap(y) ? 1 : 0))
        return CMP_EBADREQUEST;
    t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    t -= (int64_t)sign * (oh * 3600 + om * 60);
    if (t < 0 || t >= days_from_civil(9999, 12, 31) * 86400 + 86400)
        return CMP_EBADREQUEST;
    *ticks = t * 10000000 + frac;
    return 0;
}

void time_format_inner_date(int64_t unix_seconds, char out[20])
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
}

void time_format_http_date(int64_t unix_seconds, char out[30])
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 30, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}
