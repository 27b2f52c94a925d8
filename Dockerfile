# Two images from one build, run from the repository's root with BuildKit (Docker 23 and later use it
# by default; before that, DOCKER_BUILDKIT=1):
#   docker build --target web -t wxauth-web .   nginx with the H5 app and nginx.conf, port 8080
#   docker build --target bff -t wxauth-bff .   the BFF on Node 24, port 8080, SQLite in /data
# Both run as users of their own, never root. The build stage runs scripts/build.sh, as CI does.
#
# Where Docker Hub or the npm registry cannot be reached (see docs/guide/docker.md):
#   --build-arg NODE_IMAGE=…     the Node 24 image to build and run the BFF on  (node:24-bookworm-slim)
#   --build-arg NGINX_IMAGE=…    the official nginx image, or a copy of it      (nginx:stable-alpine)
#   --build-arg NPM_REGISTRY=…   the npm registry or a mirror of it             (https://registry.npmjs.org/)
#   --secret id=extra_ca,src=ca.pem   a CA certificate to trust as well, for a TLS-intercepting proxy
# The registry and the certificate are used in the build stage only: neither is in the images.

ARG NODE_IMAGE=node:24-bookworm-slim
ARG NGINX_IMAGE=nginx:stable-alpine

# The workspace's manifests and lockfile alone, every package's wherever it lives: copied into the build
# below, they leave its slow install layer cached whatever else changes.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
 && find . -name node_modules -prune -o \( -name package.json -o -name pnpm-lock.yaml \
      -o -name pnpm-workspace.yaml -o -name .npmrc \) -type f -print0 \
    | tar --null -T - -c | tar -x -C /manifests

# Nothing compiles: better-sqlite3 ships its binaries in its npm package, so the build needs the npm
# registry alone (no compiler, no apt, no download from GitHub or nodejs.org).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
ARG NPM_REGISTRY=https://registry.npmjs.org/
COPY --from=manifests /manifests/ ./
RUN --mount=type=secret,id=extra_ca \
    if [ -s /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi \
 && export npm_config_registry="${NPM_REGISTRY:-https://registry.npmjs.org/}" \
 && npm install --global --no-fund --no-audit "pnpm@$(node -p "require('./package.json').packageManager.split('@')[1]")" \
 && pnpm install --frozen-lockfile
COPY . .
RUN --mount=type=secret,id=extra_ca \
    if [ -s /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi \
 && export npm_config_registry="${NPM_REGISTRY:-https://registry.npmjs.org/}" \
 && bash scripts/build.sh \
 && bash scripts/docker/lean-bff.sh out/bff

FROM ${NGINX_IMAGE} AS web
# nginx.conf is a template of the official image: at start, /docker-entrypoint.d/ derives the server
# names from PUBLIC_URL and WX_PROXY_PUBLIC_URL (18-wxauth-names.envsh), then renders the template's
# ${WXAUTH_*} names, and no others, into conf.d/, where /etc/nginx/nginx.conf points.
ENV NGINX_ENVSUBST_FILTER=^WXAUTH_ \
    NGINX_ENVSUBST_OUTPUT_DIR=/etc/nginx/conf.d \
    WXAUTH_UPSTREAM=bff:8080
RUN rm -f /etc/nginx/conf.d/default.conf \
 && chown nginx:nginx /etc/nginx/conf.d \
 && ln -sf conf.d/nginx.conf /etc/nginx/nginx.conf \
 && mkdir -p /etc/wxauth/verify
COPY nginx.conf /etc/nginx/templates/nginx.conf.template
# Its includes (wxauth/…): the forward-auth snippets, and services/ for your own locations.
COPY nginx /etc/nginx/wxauth
COPY docker/web/18-wxauth-names.envsh /docker-entrypoint.d/
COPY --from=build /src/web/dist /usr/share/nginx/html
# Mount MP_verify_<token>.txt files on /etc/wxauth/verify to serve a new token without a rebuild.
USER nginx
# The official image also declares port 80, which this one does not listen on.
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD wget -q -O /dev/null http://127.0.0.1:8080/nginx-health || exit 1

FROM ${NODE_IMAGE} AS bff
# Memory as measured by pnpm bench:memory (docs/reference/benchmarks.md, issue 29), in this image under
# docker run --memory=256m: Node 24's young generation grows to 128 MB on a large host, and 4 MB
# semi-spaces keep it at 8 MB (at some CPU: more scavenges); glibc's malloc keeps an arena per thread
# (the checkpointer's, libuv's, V8's), and two arenas take about 10 MB less after 60,000 logins. A
# NODE_OPTIONS of yours replaces this one: keep the flag.
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0 DATABASE_URL=sqlite:/data/wxauth.db \
    NODE_OPTIONS=--max-semi-space-size=4 MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /src/out/bff /app
# `wxauth admin …` (support's command: docs/guide/admin.md) and `wxauth preflight`, on the container's environment.
COPY --chmod=755 docker/bff/wxauth /usr/local/bin/wxauth
# /data belongs to user node (uid 1000), as a named volume on it will. A bind-mounted folder must be
# given to that uid on the host (chown -R 1000:1000 <folder>): start-up says so when it is not.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/server.js"]
