package segment

import (
	"sync"
	"time"
)

// Bounds of the unknown-tag cache.
const (
	// missTTL is how long the store's "no such tag" is believed: a client
	// that asks for a bad tag again and again reaches the store about once
	// per missTTL and tag, and a tag an operator just created is served
	// within missTTL.
	missTTL = time.Second
	// maxMisses caps the tags remembered: past it, expired entries go,
	// then arbitrary ones.
	maxMisses = 4096
)

// misses remembers tags the store said do not exist, each with the store's
// error, for missTTL on the monotonic clock. Safe for concurrent use.
type misses struct {
	mu sync.Mutex
	m  map[string]miss
}

type miss struct {
	err     error
	expires time.Duration
}

// add remembers that tag is unknown, as of now.
func (c *misses) add(tag string, err error, now time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]miss)
	}
	if _, ok := c.m[tag]; !ok && len(c.m) >= maxMisses {
		for k, v := range c.m {
			if v.expires <= now {
				delete(c.m, k)
			}
		}
		for k := range c.m {
			if len(c.m) < maxMisses {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[tag] = miss{err: err, expires: now + missTTL}
}

// get returns the store's error for tag if it said, less than missTTL ago,
// that tag does not exist; nil otherwise.
func (c *misses) get(tag string, now time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[tag]
	if !ok {
		return nil
	}
	if e.expires <= now {
		delete(c.m, tag)
		return nil
	}
	return e.err
}

// len is how many tags are remembered.
func (c *misses) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
