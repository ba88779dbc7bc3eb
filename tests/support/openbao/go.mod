module secrets-sync/tests/support/openbao

go 1.26

require (
	github.com/openbao/openbao v0.0.0-20260722141719-ba7ad8861d05
	github.com/openbao/openbao/api/v2 v2.6.0
	github.com/openbao/openbao/sdk/v2 v2.6.2
)

replace (
	github.com/openbao/openbao/api/auth/approle/v2 v2.0.0 => github.com/openbao/openbao/api/auth/approle/v2 v2.6.0
	github.com/openbao/openbao/api/auth/userpass/v2 v2.0.0 => github.com/openbao/openbao/api/auth/userpass/v2 v2.6.0
)
