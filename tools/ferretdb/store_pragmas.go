package main

import (
	neturl "net/url"
	"strings"
)

// withStorePragmas keeps SQLite's temporary files in memory unless the URL says otherwise. Every
// update statement in a transaction keeps a statement journal, which SQLite otherwise writes to
// a temporary file: a write system call per changed page, for a journal never read back unless
// the statement fails.
func withStorePragmas(sqliteURL string) (string, error) {
	u, err := neturl.Parse(sqliteURL)
	if err != nil {
		return "", err
	}
	values := u.Query()
	for _, pragma := range values["_pragma"] {
		if strings.HasPrefix(pragma, "temp_store") {
			return sqliteURL, nil
		}
	}
	values.Add("_pragma", "temp_store(memory)")
	u.RawQuery = values.Encode()
	return u.String(), nil
}
