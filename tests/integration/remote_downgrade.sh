#!/usr/bin/env bash
# A layer on https that redirects to plain http is refused, --insecure or
# not: the error names both URLs, nothing is mounted, and the http server
# never sees a request. A redirect that stays on https is followed, so the
# refusal is about the downgrade, not about TLS or redirects. The https
# server is nginx with a self-signed certificate made here.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../remote_lib.sh"
require_root "remote https downgrade"
require_tools "remote https downgrade" nginx curl openssl python3

www=$T/www
mkdir -p "$www" "$T/img/etc"
echo "served over TLS" >"$T/img/etc/motd"
tar -C "$T/img" -cf "$www/small.tar" .
nginx_start "$www" || { fail "nginx (http)"; exit 1; }
http=http://127.0.0.1:$NGINX_PORT

# tls_start: nginx on https://127.0.0.1:$TLS_PORT serving $www, with
# /down/X redirecting to $http/X and /same/X to https://.../X. Sets TLS_PORT.
tls_start() {
	local dir try pid
	dir=$(mktemp -d "$T/tls.XXXXXX")
	mkdir -p "$dir/tmp"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 >"$dir/openssl.out" 2>&1 || return 1
	for try in 1 2 3; do
		TLS_PORT=$(free_port)
		cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
user root root;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 64; }
http {
	default_type application/octet-stream;
	access_log $dir/access.log;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	server {
		listen 127.0.0.1:$TLS_PORT ssl;
		ssl_certificate $dir/cert.pem;
		ssl_certificate_key $dir/key.pem;
		root $www;
		rewrite ^/down/(.*)\$ $http/\$1 redirect;
		rewrite ^/same/(.*)\$ https://127.0.0.1:$TLS_PORT/\$1 redirect;
	}
}
EOF
		nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" >"$dir/stdout" 2>&1 &
		pid=$!
		on_exit "stop_pid $pid"
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			curl -sk -o /dev/null --max-time 1 "https://127.0.0.1:$TLS_PORT/" && return 0
			sleep 0.1
		done
		stop_pid "$pid"
	done
	echo "nginx (https) did not start: $(tail -3 "$dir/error.log")" >&2
	return 1
}
tls_start || { fail "nginx (https)"; exit 1; }
https=https://127.0.0.1:$TLS_PORT
[[ $(curl -sk "$https/down/small.tar" -o /dev/null -w '%{http_code} %{redirect_url}') == "302 $http/small.tar" ]] &&
	ok "the https server redirects /down/ to $http" || fail "https server set-up"

# mounted NAME URL: lowerfs mounts tar:URL and serves the file
mounted() {
	local name=$1 url=$2 mnt=$T/mnt-$1
	if start_lowerfs "$name" "tar:$url" "$mnt" --insecure --cache "$T/cache-$name" >"$T/$name.out" 2>&1 &&
		[[ $(cat "$mnt/etc/motd" 2>&1) == "served over TLS" ]]; then
		ok "$name: $url is mounted and read"
	else
		fail "$name: $url" "$(head -3 "$T/$name.out")"
	fi
	stop_lowerfs "$name" "$mnt"
}
mounted direct "$https/small.tar"
mounted same "$https/same/small.tar"

# the downgrade: refused before any request goes out in the clear
requests=$(nginx_requests)
mnt=$T/mnt-down
if start_lowerfs down "tar:$https/down/small.tar" "$mnt" --insecure --cache "$T/cache-down" >"$T/down.out" 2>&1; then
	fail "https -> http redirect followed: the layer was mounted" "$(ls "$mnt/etc" 2>&1)"
else
	ok "https -> http redirect: lowerfs refused to mount"
fi
grep -qF "redirect from $https/down/small.tar to $http/small.tar refused" "$T/down.out" &&
	ok "the error names both URLs: $(grep -m1 refused "$T/down.out")" ||
	fail "the error does not name both URLs" "$(head -3 "$T/down.out")"
mountpoint -q "$mnt" && fail "something is mounted at $mnt" || ok "nothing is mounted"
[[ $(nginx_requests) -eq $requests ]] && ok "the http server got no request" ||
	fail "the http server got $(($(nginx_requests) - requests)) requests" "$(tail -3 "$NGINX_LOG")"
