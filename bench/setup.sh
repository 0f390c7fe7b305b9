#!/bin/sh
# Install the benchmark peers from Debian packages when they are missing:
# monitoring-plugins, monit, collectd-core, munin-node, munin (for
# munin-update), rrdtool, rrdcached, nginx-light, plus what the other
# comparisons start (mariadb-server, varnish, gnupg, tar) and gnuplot-nox
# for the plot in docs/performance.md.  Idempotent and silent when all is
# there; needs root to install.  No service is started or enabled: every
# benchmark starts its own daemons with temporary configs on loopback ports.
set -eu
PACKAGES="monitoring-plugins-basic monitoring-plugins-standard monit collectd-core
munin-node munin rrdtool rrdcached nginx-light mariadb-server mariadb-client varnish
gnupg tar wget procps util-linux gnuplot-nox"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "bench/setup: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "bench/setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not start services (monit, collectd, munin-node...).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	created_policy=1
fi
rc=0
apt-get update -qq >/dev/null || rc=1
# shellcheck disable=SC2086
[ "$rc" -eq 0 ] && { apt-get install -y -qq --no-install-recommends $missing >/dev/null || rc=1; }
[ "$created_policy" -eq 1 ] && rm -f "$policy"
exit "$rc"
