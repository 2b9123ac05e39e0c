package leafalloc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
)

// query reads the columns ReadTSV reads, in tag order.
const query = "SELECT biz_tag, max_id, step, description FROM leaf_alloc ORDER BY biz_tag"

// ReadDB reads Leaf's leaf_alloc table from the MySQL or MariaDB server of
// dsn, in the form of github.com/go-sql-driver/mysql
// ("user:password@tcp(host:3306)/leaf"), with one SELECT, and checks each
// row as ReadTSV does (a NULL description reads as empty). It connects
// once and closes the connection before it returns; ctx bounds it all.
//
// Errors wrap ErrLeafDB (a bad DSN, a server that does not answer or
// refuses, no leaf_alloc table), naming the server and database but never
// the password, or ErrBadRow naming the tag.
func ReadDB(ctx context.Context, dsn string) ([]Row, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: the DSN does not parse (want user:password@tcp(host:port)/database): %v", ErrLeafDB, err)
	}
	cfg.Logger = quiet{} // the driver's own log lines would go to stderr
	where := fmt.Sprintf("%s@%s(%s)/%s", cfg.User, cfg.Net, cfg.Addr, cfg.DBName)
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w from %s: %v", ErrLeafDB, where, err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := readRows(ctx, db)
	if errors.Is(err, ErrBadRow) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w from %s: %w", ErrLeafDB, where, err)
	}
	return rows, nil
}

// readRows runs query on db and checks each row.
func readRows(ctx context.Context, db *sql.DB) ([]Row, error) {
	rs, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []Row
	for rs.Next() {
		var tag, maxID, step string
		var desc sql.NullString
		if err := rs.Scan(&tag, &maxID, &step, &desc); err != nil {
			return nil, err
		}
		r, err := rowOf(tag, maxID, step, desc.String)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadRow, err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// quiet is a mysql.Logger that drops the driver's log lines: ReadDB
// returns every error it meets.
type quiet struct{}

func (quiet) Print(...any) {}
