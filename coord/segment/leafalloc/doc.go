// Package leafalloc moves Meituan Leaf's segment mode over to idcoord: it
// reads Leaf's leaf_alloc table (biz_tag, max_id, step, description), from
// the MySQL/MariaDB server itself (ReadDB) or from the output of
// `mysql --batch` (ReadTSV), plans what an import would do to the
// segments/<tag> records (Plan), and does it (Apply).
//
// # The invariant
//
// An import never lowers a max_id. Leaf's max_id is an exclusive bound like
// idcoord's: every ID Leaf has handed out for the tag is below it. Apply
// raises each tag's max_id to at least Leaf's plus the margin through
// coord.RaiseSegment, which creates a missing tag, raises a lower max_id and
// leaves a higher one alone, by compare-and-swap. So the first segment any
// idcoord node takes after the import starts at or above Leaf's max_id,
// running an import twice writes nothing the second time, and an import of
// an old copy of the table cannot move a tag back below IDs idcoord has
// already handed out.
//
// Every row is checked before anything is written (CheckRows): a tag that
// coord.CheckTag refuses, a negative max_id, a step outside
// 1..coord.MaxSegmentStep, a description too long for a record, a duplicate
// tag, or a max_id that the margin would push past the largest int64 refuses
// the whole import, so it never stops half done over a bad row.
//
// HAZARD: the import reads the table once. A Leaf server that still runs
// keeps handing out IDs from the segments it has loaded, which are below
// the max_id read, and fetches new segments, which raise Leaf's max_id past
// what the import read: those IDs would repeat what idcoord hands out from
// the imported max_id. The margin covers them: the import writes Leaf's
// max_id plus the margin, so it must be larger than everything Leaf's
// servers fetch between the read and their stop (each fetch raises max_id
// by one dynamic step, at most max(1,000,000, the row's step)). Without a
// margin, stop Leaf first, or at least stop it from fetching.
package leafalloc
