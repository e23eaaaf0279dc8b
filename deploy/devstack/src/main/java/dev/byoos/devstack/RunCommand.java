package dev.byoos.devstack;

import dev.byoos.localauth.LocalTokens;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The main job on the local stack: start the servers and the four services, submit an example
 * spec, follow its builds through every stage, print what was produced, then keep serving (or,
 * with {@code --once}, stop and exit 0 only if every build published its pack).
 */
final class RunCommand {

    /** A bootable Debian from the default mirror, boot-tested: what a newcomer should see first. */
    static final String DEFAULT_SPEC = "examples/debian-12-minimal.yaml";
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(15);
    private static final Set<String> TERMINAL_STATES = Set.of("PUBLISHED", "REUSED", "FAILED", "CANCELLED");
    /** The main job acts as the local stack's operator: an admin token, valid for the run. */
    private static final String RUN_SUBJECT = "byoos-run";
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunCommand() {
    }

    static int run(String[] args) throws Exception {
        CommandLine options = CommandLine.parse(args, 1, Set.of("data-dir", "spec", "root", "kubernetes-mirror"),
                Set.of("once"));
        Path root = Path.of(options.value("root", ".")).toAbsolutePath().normalize();
        Path dataDir = Path.of(options.value("data-dir", root.resolve(".devstack").toString())).toAbsolutePath();
        Path spec = root.resolve(options.value("spec", DEFAULT_SPEC));
        if (!Files.isRegularFile(spec)) {
            throw new CommandLine.UsageException("spec file " + spec + " does not exist");
        }
        PrintStream out = System.out;
        long started = System.nanoTime();
        out.println("==> Starting the local stack in " + dataDir + " (Kafka, PostgreSQL, S3, OCI registry)");
        try (DevStack stack = DevStack.start(dataDir, line -> out.println("  " + line))) {
            out.println("==> Starting the services");
            try (ServiceLauncher services = ServiceLauncher.start(root, dataDir, stack.endpoints(),
                    options.optional("kubernetes-mirror"), out)) {
                stack.stopFirst(services);
                out.printf("==> Stack ready in %.1f s%n", seconds(started));
                out.println("    Pipeline page: " + services.url(ServiceLauncher.Service.SPEC_SERVICE)
                        + "/pipeline/ (sign in with ./byoos token --team platform --role viewer)");
                String token = LocalTokens.in(ServiceLauncher.authDirectory(dataDir))
                        .mint(RUN_SUBJECT, List.of(), List.of("admin"), BUILD_TIMEOUT.plusHours(12));
                boolean published = submitAndFollow(services.url(ServiceLauncher.Service.SPEC_SERVICE), token, spec, out);
                if (options.flag("once")) {
                    out.println(published ? "==> Done: the pack is published." : "==> Failed: see the reasons above.");
                    return published ? Main.EXIT_OK : Main.EXIT_FAILURE;
                }
                out.println("==> Serving. spec-service API: " + services.url(ServiceLauncher.Service.SPEC_SERVICE)
                        + "/api/v1 (OpenAPI at /q/openapi, Swagger UI at /q/swagger-ui). Ctrl-C stops everything.");
                out.println("    pack catalog API: " + services.url(ServiceLauncher.Service.PACK_PUBLISHER) + "/api/v1/packs");
                out.println("    A bearer token for the API: ./byoos token --team <team> --role submitter");
                awaitShutdown();
                return published ? Main.EXIT_OK : Main.EXIT_FAILURE;
            }
        }
    }

    /** @return true when every build of the submission published its pack */
    static boolean submitAndFollow(String specService, String token, Path spec, PrintStream out)
            throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        String contentType = spec.toString().endsWith(".json") ? "application/json" : "application/yaml";
        out.println("==> Submitting " + spec.getFileName());
        long submitted = System.nanoTime();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(specService + "/api/v1/specs"))
                .header("Content-Type", contentType)
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofFile(spec))
                .build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(response.body());
        if (response.statusCode() >= 400) {
            out.println("  rejected (HTTP " + response.statusCode() + "): " + body.path("detail").asText());
            for (JsonNode violation : body.path("violations")) {
                out.printf("    %s [%s] %s%n", violation.path("pointer").asText(), violation.path("code").asText(),
                        violation.path("message").asText());
            }
            return false;
        }
        out.printf("  spec %s/%s version %d (digest %s)%s%n", body.path("team").asText(), body.path("name").asText(),
                body.path("version").asInt(), body.path("digest").asText().substring(0, 12),
                body.path("newVersion").asBoolean() ? ""
                        : ", identical to the stored version: builds in progress are followed, published targets reused");
        List<String> buildIds = new ArrayList<>();
        body.path("builds").forEach(build -> buildIds.add(build.path("id").asText()));

        boolean allPublished = true;
        for (String buildId : buildIds) {
            JsonNode build = follow(http, specService, token, buildId, submitted, out);
            printSummary(build, out);
            String state = build.path("state").asText();
            if ("REUSED".equals(state)) {
                out.println("  (an identical spec was already published: the build reuses its artifact and pack;"
                        + " submit with ?force=true to build again)");
            }
            allPublished &= ("PUBLISHED".equals(state) || "REUSED".equals(state))
                    && packResolves(http, build.path("pack").path("reference").asText(), out);
        }
        return allPublished;
    }

    private static JsonNode follow(HttpClient http, String specService, String token, String buildId, long submitted,
            PrintStream out) throws IOException, InterruptedException {
        out.println("==> Following build " + buildId);
        String lastState = "";
        long deadline = System.nanoTime() + BUILD_TIMEOUT.toNanos();
        while (true) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create(specService + "/api/v1/builds/" + buildId)).header("Authorization", "Bearer " + token)
                    .timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode build = JSON.readTree(response.body());
            String state = build.path("state").asText();
            if (!state.equals(lastState)) {
                out.printf("  %6.1f s  %s%n", seconds(submitted), state);
                lastState = state;
            }
            if (TERMINAL_STATES.contains(state)) {
                return build;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("build " + buildId + " still " + state + " after " + BUILD_TIMEOUT.toMinutes()
                        + " minutes; see the service logs");
            }
            Thread.sleep(200);
        }
    }

    private static void printSummary(JsonNode build, PrintStream out) {
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put("build", build.path("id").asText());
        lines.put("state", build.path("state").asText());
        lines.put("target", build.path("target").path("cloud").asText() + "/" + build.path("target").path("format").asText());
        if (build.has("artifact")) {
            lines.put("artifact", build.path("artifact").path("uri").asText());
            lines.put("sha256", build.path("artifact").path("sha256").asText());
            lines.put("size", build.path("artifact").path("size").asText() + " bytes");
        }
        if (build.has("bootTest")) {
            JsonNode bootTest = build.path("bootTest");
            lines.put("boot test", bootTest.path("result").asText()
                    + (bootTest.has("detail") ? " (" + bootTest.path("detail").asText() + ")" : "")
                    + (bootTest.path("durationMillis").asLong() > 0
                            ? String.format(" in %.1f s", bootTest.path("durationMillis").asLong() / 1000.0) : ""));
        }
        if (build.has("pack")) {
            lines.put("pack", build.path("pack").path("reference").asText());
        }
        if (build.has("failure")) {
            JsonNode failure = build.path("failure");
            lines.put("failure", failure.path("stage").asText() + ": " + failure.path("code").asText() + ": "
                    + failure.path("reason").asText());
        }
        lines.forEach((key, value) -> out.printf("  %-10s%s%n", key, value));
    }

    /**
     * Resolves the pack reference the way any client would, over the registry's HTTP API, and
     * with skopeo when it is installed: a published pack that cannot be pulled is not published.
     */
    static boolean packResolves(HttpClient http, String reference, PrintStream out)
            throws IOException, InterruptedException {
        int slash = reference.indexOf('/');
        int colon = reference.lastIndexOf(':');
        String manifestUrl = "http://" + reference.substring(0, slash) + "/v2/" + reference.substring(slash + 1, colon)
                + "/manifests/" + reference.substring(colon + 1);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(manifestUrl))
                .header("Accept", "application/vnd.oci.image.manifest.v1+json")
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            out.println("  registry: " + manifestUrl + " answered HTTP " + response.statusCode());
            return false;
        }
        JsonNode layer = JSON.readTree(response.body()).path("layers").path(0);
        out.printf("  registry  manifest %s, layer %s (%d bytes)%n",
                response.headers().firstValue("Docker-Content-Digest").orElse("?"),
                layer.path("annotations").path("org.opencontainers.image.title").asText(), layer.path("size").asLong());
        Process skopeo;
        try {
            skopeo = new ProcessBuilder("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + reference)
                    .redirectErrorStream(true).start();
        } catch (IOException notInstalled) {
            return true;
        }
        String skopeoOutput = new String(skopeo.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        boolean resolved = skopeo.waitFor() == 0 && skopeoOutput.contains(layer.path("digest").asText());
        out.println("  skopeo    inspect --tls-verify=false docker://" + reference + ": "
                + (resolved ? "resolves" : "FAILED: " + skopeoOutput.strip()));
        return resolved;
    }

    private static void awaitShutdown() throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "byoos-run-shutdown"));
        stopped.await();
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
