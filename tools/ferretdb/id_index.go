package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the same SQLite driver FerretDB uses
)

// FerretDB v1.24 finds a document by `_id` with the SQL expression `_ferretdb_sjson->'$._id'`, but
// the unique index it creates for `_id` is on `_ferretdb_sjson->"_id"`. SQLite uses an index on an
// expression only for that very expression, so every lookup, update and delete by `_id` reads the
// whole table: its cost grows with the collection (5 ms per lookup at a few thousand documents,
// against microseconds with an index). The keeper adds an index on the expression the queries use
// to each collection's table, and looks for new tables every few seconds. FerretDB does not know
// about these indexes: they do not show in listIndexes, and they go with their table when
// FerretDB drops a collection.
const idIndexSuffix = "__parley_id_lookup"

// idIndexExpr must stay byte-for-byte the expression FerretDB's queries use (metadata.IDColumn).
const idIndexExpr = `_ferretdb_sjson->'$._id'`

// keepIDIndexes adds the missing indexes now and then every interval until ctx ends.
func keepIDIndexes(ctx context.Context, sqliteURL string, interval time.Duration, logger *slog.Logger) {
	dir, err := sqliteDir(sqliteURL)
	if err != nil {
		logger.Warn("id index keeper off", "err", err)
		return
	}
	handles := map[string]*sql.DB{}
	defer func() {
		for _, db := range handles {
			_ = db.Close()
		}
	}()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, file := range files {
			db, ok := handles[file]
			if !ok {
				db, err = sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
				if err != nil {
					logger.Warn("id index keeper cannot open a database", "file", file, "err", err)
					continue
				}
				db.SetMaxOpenConns(1)
				handles[file] = db
			}
			if err := addIDIndexes(ctx, db); err != nil && ctx.Err() == nil {
				logger.Warn("id index keeper could not index a database", "file", file, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// addIDIndexes indexes `_id` lookups in every collection table of one database that lacks it.
func addIDIndexes(ctx context.Context, db *sql.DB) error {
	var hasCatalog int
	if err := db.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_ferretdb_collections'`,
	).Scan(&hasCatalog); err != nil || hasCatalog == 0 {
		return err
	}
	rows, err := db.QueryContext(ctx, `
		SELECT c.table_name FROM _ferretdb_collections c
		WHERE EXISTS (SELECT 1 FROM sqlite_master t WHERE t.type = 'table' AND t.name = c.table_name)
		AND NOT EXISTS (SELECT 1 FROM sqlite_master i WHERE i.type = 'index' AND i.name = c.table_name || ?)`,
		idIndexSuffix,
	)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var table string
		if err := rows.Scan(&table); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, table)
	}
	rows.Close()
	for _, table := range tables {
		quoted := `"` + strings.ReplaceAll(table, `"`, `""`) + `"`
		index := `"` + strings.ReplaceAll(table+idIndexSuffix, `"`, `""`) + `"`
		stmt := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (%s)`, index, quoted, idIndexExpr)
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			// A collection dropped meanwhile takes its table along; the next round finds it gone.
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	return nil
}

// sqliteDir is the folder of a `file:` SQLite URL as FerretDB takes it.
func sqliteDir(sqliteURL string) (string, error) {
	u, err := url.Parse(sqliteURL)
	if err != nil {
		return "", err
	}
	if u.Scheme != "file" {
		return "", fmt.Errorf("not a file: URL: %q", sqliteURL)
	}
	dir := u.Opaque
	if dir == "" {
		dir = u.Path
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return "", fmt.Errorf("not a folder: %q", dir)
	}
	return dir, nil
}
