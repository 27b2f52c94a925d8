# syntax=docker/dockerfile:1
# Two images from one build:
#   docker build --target web -t wxauth-web .   nginx with the H5 app and nginx.conf (port 8080)
#   docker build --target bff -t wxauth-bff .   the BFF on Node, non-root (port 8080)
# The build stage runs scripts/build.sh, exactly what CI runs.

FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN npm install --global "pnpm@$(node -p "require('./package.json').packageManager.split('@')[1]")" \
 && bash scripts/build.sh

FROM nginx:stable-alpine AS web
COPY nginx.conf /etc/nginx/nginx.conf
# Its includes (wxauth/…): the forward-auth snippets, and services/ for your own locations.
COPY nginx /etc/nginx/wxauth
COPY --from=build /src/web/dist /usr/share/nginx/html
# Mount MP_verify_<token>.txt files here to serve a new token without a rebuild.
RUN mkdir -p /etc/wxauth/verify
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD wget -qO- http://127.0.0.1:8080/nginx-health || exit 1

FROM node:20-bookworm-slim AS bff
ENV NODE_ENV=production PORT=8080 HOST=0.0.0.0 DATABASE_URL=sqlite:/data/wxauth.db
WORKDIR /app
COPY --from=build /src/out/bff /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/server.js"]
