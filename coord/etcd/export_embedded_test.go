package etcd

// GRPCServers returns how many gRPC servers of the member Close cuts.
func GRPCServers(e *Embedded) int {
	e.servers.mu.Lock()
	defer e.servers.mu.Unlock()
	return len(e.servers.all)
}
