/*
 * api/service.c - what lets OData tooling discover the service: GET /{version}/$metadata (the
 * CSDL of the served types, embedded at build time from src/api/metadata/) and GET /{version}/
 * (the service document naming the deviceManagement singleton).
 */
#include <string.h>

#include "api/api.h"
#include "core/buf.h"
#include "core/err.h"

extern const char api_metadata_v1_0[];
extern const size_t api_metadata_v1_0_len;
extern const char api_metadata_beta[];
extern const size_t api_metadata_beta_len;

int service_metadata(struct api_request *r)
{
    int rc;

    if (r->version == GRAPH_V1)
        rc = buf_append(r->out, api_metadata_v1_0, api_metadata_v1_0_len);
    else
        rc = buf_append(r->out, api_metadata_beta, api_metadata_beta_len);
    if (rc)
        return cmp_error_set(r->err, rc, NULL);
    r->status = 200;
    r->content_type = API_CT_XML;
    return 0;
}

int service_document(struct api_request *r)
{
    int rc = buf_puts(r->out, "{\"@odata.context\":\"");

    if (!rc)
        rc = buf_append_json_escaped(r->out, api_context_root(r), strlen(api_context_root(r)));
    if (!rc)
        rc = buf_printf(r->out,
                        "/%s/$metadata\",\"value\":[{\"name\":\"deviceManagement\",\"kind\":"
                        "\"Singleton\",\"url\":\"deviceManagement\"}]}",
                        r->version_name);

    if (rc)
        return cmp_error_set(r->err, rc, NULL);
    r->status = 200;
    r->content_type = API_CT_ODATA;
    return 0;
}
