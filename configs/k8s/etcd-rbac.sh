#!/bin/sh
# etcd-rbac.sh gives each idcoord cluster an etcd user whose role can read and
# write its own prefix, /idcoord/<cluster>/, and nothing else, then turns on
# authentication.
#
#   etcd-rbac.sh CLUSTER...     for each cluster: role idcoord-<cluster> with
#                               readwrite on /idcoord/<cluster>/, user
#                               idcoord-<cluster> with that role, its password
#                               in ./<cluster>-etcd-password (made if missing)
#   etcd-rbac.sh --enable-auth  once per etcd cluster: the root user (asks for
#                               its password) and `etcdctl auth enable`
#
# etcdctl (v3.4 or later) takes its connection from the environment:
# ETCDCTL_ENDPOINTS, ETCDCTL_CACERT, and, once authentication is on,
# ETCDCTL_USER=root (it asks for the password).
#
# Give the password file to idcoord as etcd.password-file, for example
#   kubectl create secret generic orders-idcoord-etcd --from-file=password=./orders-etcd-password
# and set etcd.username: idcoord-<cluster>.
#
# What idcoord does with the role, and why the prefix is enough:
# - Keys: every key it reads or writes is under /idcoord/<cluster>/ (workers/,
#   hw/, leaf_forever/, leaf_temporary/); the client's namespace keeps it
#   there. The trailing slash matters: without it, cluster "orders" could
#   also touch /idcoord/orders2/.
# - Leases: etcd lets any authenticated user grant a lease; no key
#   permission is involved. Attaching a key to a lease (a put), renewing it
#   (keepalive) and revoking it need write permission on every key attached
#   to that lease, and reading its time left (`idcoord lease ls`) needs read
#   permission on them. idcoord attaches only workers/<wid> and
#   leaf_temporary/<node>, both under the prefix, so readwrite on the prefix
#   covers its own leases, and `idcoord lease revoke` run as the same user
#   can revoke any lease of that cluster, and no other.
# - Listing every lease of the etcd cluster (`etcdctl lease list`) needs the
#   root role; idcoord never does it.
set -eu

usage() {
	echo "usage: $0 CLUSTER... | $0 --enable-auth" >&2
	exit 2
}

# add_cluster creates the role, the user and its password file for cluster $1.
add_cluster() {
	cluster=$1
	case $cluster in
	"" | [!A-Za-z0-9_]* | *[!A-Za-z0-9._:-]*)
		echo "$0: cluster name \"$cluster\": want letters, digits and . _ : -, starting with a letter, digit or _" >&2
		exit 2
		;;
	esac
	role="idcoord-$cluster"
	user="idcoord-$cluster"
	prefix="/idcoord/$cluster/"
	pwfile="./$cluster-etcd-password"
	if [ ! -s "$pwfile" ]; then
		(umask 077 && head -c 24 /dev/urandom | base64 >"$pwfile")
	fi
	etcdctl role add "$role"
	etcdctl role grant-permission "$role" --prefix=true readwrite "$prefix"
	# --interactive=false reads the password from stdin, so that it never
	# shows in the process list.
	etcdctl user add "$user" --interactive=false <"$pwfile"
	etcdctl user grant-role "$user" "$role"
	echo "$0: user $user may read and write $prefix; its password is in $pwfile"
}

# enable_auth adds the root user, which etcd requires, and turns on
# authentication. Run it after the clusters' users exist: from then on every
# etcdctl call needs --user.
enable_auth() {
	etcdctl user add root
	etcdctl user grant-role root root
	etcdctl auth enable
}

[ $# -gt 0 ] || usage
if [ "$1" = --enable-auth ]; then
	[ $# -eq 1 ] || usage
	enable_auth
	exit 0
fi
for cluster in "$@"; do
	add_cluster "$cluster"
done
