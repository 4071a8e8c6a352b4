-- wrk script for bench/cluster.sh: every request creates a complianceManagementPartner.
-- The token comes on wrk's command line (-H "Authorization: Bearer ...").
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"displayName":"bench partner","partnerState":"enabled","macOsOnboarded":true,' ..
    '"iosEnrollmentAssignments":[{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}]}'
