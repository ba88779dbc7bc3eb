module secrets-sync/tests/support/devbao

go 1.26
