-- wrk script: POST /api/v1/keys/verify for the key in VERIFIED (bench/forward-auth.sh).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"key":"' .. os.getenv("VERIFIED") .. '","method":"GET","path":"/api/v1/customers"}'
