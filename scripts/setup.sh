#!/bin/sh
# Install every Debian package osemon's build, tests and benchmarks need.
# Idempotent and quiet when everything is already there.
set -eu

PACKAGES="
build-essential pkg-config clang clang-tools llvm libclang-rt-14-dev clang-format cppcheck
libcurl4-openssl-dev libssl-dev libesmtp-dev librrd-dev libjansson-dev
libmariadb-dev libinih-dev libcmocka-dev
openssl ca-certificates curl python3 python3-aiosmtpd
nginx-light varnish mariadb-server mariadb-client
rrdtool rrdcached munin-node monitoring-plugins-basic monitoring-plugins-standard liburiparser1
gnupg tar procps iproute2 util-linux valgrind file chromium
nagios4 icinga2
monit collectd-core munin gnuplot-nox
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Services must not start from the package scripts: tests start their own.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	created_policy=1
fi
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ "$created_policy" -eq 1 ] && rm -f "$policy"
exit 0
