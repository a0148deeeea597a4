package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// A database laid out as FerretDB lays it out: its catalog and one table per collection, with
// the `_id` index FerretDB itself creates.
func fakeFerretDatabase(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "app.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	for _, stmt := range []string{
		`CREATE TABLE _ferretdb_collections (name TEXT NOT NULL UNIQUE, table_name TEXT NOT NULL UNIQUE, settings TEXT NOT NULL)`,
		`CREATE TABLE "things_1" (_ferretdb_sjson TEXT NOT NULL)`,
		`CREATE UNIQUE INDEX "things_1__id_" ON "things_1" (_ferretdb_sjson->"_id")`,
		`INSERT INTO _ferretdb_collections VALUES ('things', 'things_1', '{}')`,
		// Listed but its table not made yet: skipped, not an error.
		`INSERT INTO _ferretdb_collections VALUES ('later', 'later_2', '{}')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(stmt, err)
		}
	}
	return db
}

func plan(t *testing.T, db *sql.DB) string {
	t.Helper()
	// The statement FerretDB runs to find a document by _id.
	rows, err := db.Query(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "things_1" WHERE `+idIndexExpr+` = ?`, `"a"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var details []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		details = append(details, detail)
	}
	return strings.Join(details, "; ")
}

func TestIDLookupsScanWithoutTheKeeperAndUseAnIndexWithIt(t *testing.T) {
	db := fakeFerretDatabase(t)
	if got := plan(t, db); !strings.Contains(got, "SCAN") {
		t.Fatalf("expected FerretDB's own index not to serve its _id lookup, plan: %s", got)
	}
	for round := 0; round < 2; round++ { // a second round finds nothing to do
		if err := addIDIndexes(context.Background(), db); err != nil {
			t.Fatal(err)
		}
	}
	if got := plan(t, db); !strings.Contains(got, "USING INDEX things_1"+idIndexSuffix) {
		t.Fatalf("expected the lookup to use the added index, plan: %s", got)
	}
}

func TestADatabaseWithoutCollectionsIsLeftAlone(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "empty.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := addIDIndexes(context.Background(), db); err != nil {
		t.Fatal(err)
	}
}

func TestTheFolderComesFromFerretDBsURL(t *testing.T) {
	dir := t.TempDir()
	for _, url := range []string{"file:" + dir + "/", "file:" + dir + "/?_pragma=synchronous(normal)"} {
		got, err := sqliteDir(url)
		if err != nil || filepath.Clean(got) != dir {
			t.Fatalf("sqliteDir(%q) = %q, %v", url, got, err)
		}
	}
	if _, err := sqliteDir("file:" + filepath.Join(dir, "missing") + "/"); err == nil {
		t.Fatal("a missing folder must be refused")
	}
}
