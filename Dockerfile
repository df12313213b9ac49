# pdud in a container, on the official Deno image (same version as .ci/deno-version).
FROM denoland/deno:2.9.6
WORKDIR /app
COPY deno.json deno.lock ./
COPY main.ts pduclient.ts ./
COPY cli ./cli
COPY routes ./routes
COPY actors ./actors
COPY config ./config
COPY daemon ./daemon
COPY drivers ./drivers
# Only `pdud simulate` loads these; the daemon never does (tests/module_graph_test.ts).
COPY simulators ./simulators
RUN deno cache main.ts pduclient.ts
USER deno
EXPOSE 16421
# Mount your config at /etc/pdud/pdud.yaml (or pdudaemon.conf) and listen on all interfaces
# inside the container: set daemon.hostname: 0.0.0.0 in it.
ENTRYPOINT ["deno", "run", "--unstable-net", "--allow-net", "--allow-read", "--allow-env", "--allow-run", "--allow-write=/var/log", "main.ts"]
CMD ["--conf", "/etc/pdud/pdud.yaml"]
