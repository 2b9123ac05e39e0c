// Package console is the web console of the admin listener's "/": one page
// an operator opens in a browser, or leaves open on a wall screen, that shows
// this node (WorkerId, W, fence time left, clock offset, readiness and its
// reason), the fleet as the store sees it (every holder, its lease or
// session, W, last clock report, clock offset), each segment tag (the
// store's max_id and step, this node's current and next segment and how much
// of each is used) and small charts of IDs/s and the clock offset over the
// last minutes.
//
// The page is whole in itself: it is rendered on the server with
// html/template, its CSS is inline and its charts are SVG computed in Go, so
// it needs no JavaScript and no external asset, and an air-gapped cluster
// renders it as it is. It refreshes itself with a meta refresh. Its
// Content-Security-Policy forbids scripts and every other origin.
//
// # Untrusted input
//
// Node names, admin addresses, tags, descriptions and errors come from the
// store, which anyone with write access to it may fill by hand. They reach
// the page only through html/template, which escapes them for the context
// they land in; nothing is marked as safe HTML.
//
// # Bounded cost
//
// A page may be open on many screens at once. It is rendered at most once
// per Config.RenderEvery, one render at a time, and that page serves every
// screen until then. The store is read at most once
// per Config.CacheFor for all of them (one read in flight at a time, bounded
// by Config.StoreTimeout); a store that does not answer makes a line on the
// page ("store did not answer: ..."), never a failed page, and the last rows
// read stay shown with their age. The charts' history is a ring of a fixed
// number of samples (Config.Window / Config.SampleEvery), taken by one
// goroutine that New starts and Close stops.
//
// # Marked rows
//
// A row that is wrong is marked twice: with the CSS class "bad" (red) and
// with words in its "problems" cell, so that an operator who cannot tell red
// from green, and a test, can both see it. A live holder is wrong when its
// last clock report is older than Config.StaleAfter ("stale"), when this
// node measured its clock offset at 80% of Config.MaxDrift or more
// ("drift"), or when its lease has run out while its record is still there
// ("past lease").
package console
