package etcd

// RoundTrips returns the number of etcd requests made while acquiring.
func RoundTrips() int64 { return roundTrips.Load() }
