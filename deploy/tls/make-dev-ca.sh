#!/bin/sh
# Development CA and certificates for NATS TLS (client port and routes) and
# Kaskade's client certificate. Not for production: use your PKI there.
#
#   deploy/tls/make-dev-ca.sh [OUT]          (default: deploy/tls/dev, git-ignored)
#   NAMESPACE=kaskade CLUSTER_DOMAIN=cluster.local DAYS=365 deploy/tls/make-dev-ca.sh
#
# Writes into OUT:
#   ca.pem, ca-key.pem          the development CA (keep ca-key.pem away from servers)
#   server.pem, server-key.pem  NATS nodes: serverAuth and clientAuth (a route
#                               dials its peers with it); SANs nats-0..2 (compose),
#                               nats-<i>.nats.<ns>.svc.<domain> (Kubernetes),
#                               localhost, 127.0.0.1
#   client.pem, client-key.pem  Kaskade (CN=kaskade, clientAuth only, no DNS
#                               names: it can never pose as a route)
# An existing CA is reused, so certificates can be renewed without
# redistributing ca.pem. Needs openssl (Debian: apt-get install openssl).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/dev}
ns=${NAMESPACE:-kaskade}
domain=${CLUSTER_DOMAIN:-cluster.local}
days=${DAYS:-365}

umask 077
mkdir -p "$out"
cd "$out"

if [ ! -f ca-key.pem ]; then
	openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout ca-key.pem -out ca.pem -days 3650 -subj "/O=Kaskade development/CN=Kaskade dev CA" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
fi

# issue NAME CN EKU SAN: a P-256 key and a certificate signed by the CA.
issue() {
	name=$1 cn=$2 eku=$3 san=$4
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-keyout "$name-key.pem" -out "$name.csr" -subj "/O=Kaskade development/CN=$cn"
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=$eku"
		[ -z "$san" ] || echo "subjectAltName=$san"
	} >"$name.ext"
	openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
		-days "$days" -out "$name.pem" -extfile "$name.ext"
	rm -f "$name.csr" "$name.ext"
}

san="DNS:localhost,IP:127.0.0.1,DNS:nats"
for i in 0 1 2; do
	san="$san,DNS:nats-$i,DNS:nats-$i.nats.$ns.svc.$domain"
done
issue server nats serverAuth,clientAuth "$san"
issue client kaskade clientAuth ""

# Readable by the containers' users (nats, uid 10001) through the bind mount;
# the directory itself stays 0700 for everyone else on the host.
chmod 0644 ca.pem server.pem client.pem server-key.pem client-key.pem
echo "certificates in $out:"
ls -l "$out"
