package dev.byoos.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

class SubmitAndBuildsTest {

    private static final String EXAMPLE = Path.of("../examples/debian-12-qemu.yaml").toString();
    private static final String BUILD = "363aeae7-19b9-4af1-9696-db61bd10bd14";
    private static final String SHA256 = "2baf34298462de301c5bd45b7ddccec0f82ccb0a5c1e8bd86f708602d9d043d6";
    private static final String PACK = "registry.example.com/byoos/spectro-packs/archive/byoos-debian-12:1.0.0";
    private static final String SUBMISSION = """
            {"team":"platform","name":"debian-12-node","version":1,"digest":"d","newVersion":true,
             "builds":[{"id":"%s","target":{"cloud":"qemu","format":"qcow2"},"attempt":1,"trigger":"manual",
                        "state":"ACCEPTED","href":"/api/v1/builds/%s"}]}""".formatted(BUILD, BUILD);
    private static final String REJECTION = """
            {"type":"https://byoos.dev/problems/invalid-spec","title":"The image spec was rejected","status":400,
             "detail":"2 violation(s); nothing was stored","instance":"/api/v1/specs",
             "violations":[{"pointer":"/metadata/name","code":"INVALID_FORMAT","message":"not a DNS-1123 label"},
                           {"pointer":"/spec/customizations/files/0/path","code":"UNSAFE_PATH","message":"must be normalised"}]}""";

    private static String build(String state, String extra) {
        return """
                {"id":"%s","team":"platform","target":{"cloud":"qemu","format":"qcow2"},"attempt":1,"state":"%s"%s}"""
                .formatted(BUILD, state, extra);
    }

    private static String published() {
        return build("PUBLISHED", ",\"artifact\":{\"uri\":\"s3://byoos-artifacts/sha256/" + SHA256 + "\",\"sha256\":\"" + SHA256
                + "\",\"size\":336384},\"pack\":{\"reference\":\"" + PACK + "\"}");
    }

    @Test
    void submitWaitFollowsTheBuildAndPrintsItsIdSha256AndPackReference() throws Exception {
        AtomicInteger polls = new AtomicInteger();
        try (StubFactory factory = new StubFactory()) {
            factory.on("POST /api/v1/specs", 201, SUBMISSION)
                    .on("GET /api/v1/builds/" + BUILD, request -> StubFactory.Answer.json(200, polls.incrementAndGet() < 2
                            ? build("BUILDING", ",\"progress\":{\"stage\":\"build-worker\",\"phase\":\"customize\",\"percent\":40}")
                            : published()));

            StubFactory.Run run = factory.run("submit", EXAMPLE, "--wait");

            assertEquals(ExitCodes.OK, run.exitCode(), run.err());
            assertTrue(run.out().contains("build     " + BUILD), run.out());
            assertTrue(run.out().contains("sha256    " + SHA256), run.out());
            assertTrue(run.out().contains("pack      " + PACK), run.out());
            assertTrue(run.err().contains("BUILDING  build-worker customize 40%"), "progress is shown live: " + run.err());
            StubFactory.Request submitted = factory.requests.get(0);
            assertEquals("application/yaml", submitted.contentType());
            assertEquals("Bearer " + StubFactory.TOKEN, submitted.authorization());
            assertTrue(new String(submitted.body(), StandardCharsets.UTF_8).contains("debian-12-node"));
            assertFalse((run.out() + run.err()).contains(StubFactory.TOKEN), "the token is never printed");
        }
    }

    @Test
    void submitWaitExitsOneWhenABuildFailsAndSaysWhy() throws Exception {
        try (StubFactory factory = new StubFactory()) {
            factory.on("POST /api/v1/specs?force=true", 200, SUBMISSION)
                    .on("GET /api/v1/builds/" + BUILD, 200, build("FAILED", ",\"failure\":{\"stage\":\"build-worker\","
                            + "\"code\":\"SCRIPT_FAILED\",\"reason\":\"script hello exited 1\",\"category\":\"spec\"}"));

            StubFactory.Run run = factory.run("submit", EXAMPLE, "--wait", "--force");

            assertEquals(ExitCodes.BUILD_FAILED, run.exitCode());
            assertTrue(run.out().contains("failure   SCRIPT_FAILED in build-worker (spec): script hello exited 1"), run.out());
        }
    }

    @Test
    void aRejectedSpecExitsThreeWithOneClearLineAndEveryViolation() throws Exception {
        try (StubFactory factory = new StubFactory()) {
            factory.on("POST /api/v1/specs", 400, REJECTION);

            StubFactory.Run text = factory.run("submit", EXAMPLE);
            StubFactory.Run json = factory.run("submit", EXAMPLE, "--output", "json");

            assertEquals(ExitCodes.REJECTED, text.exitCode());
            String[] lines = text.err().split("\n");
            assertEquals("byoos: POST /api/v1/specs: HTTP 400 The image spec was rejected: 2 violation(s); nothing was stored",
                    lines[0]);
            assertEquals("  /metadata/name  INVALID_FORMAT  not a DNS-1123 label", lines[1]);
            assertEquals("  /spec/customizations/files/0/path  UNSAFE_PATH  must be normalised", lines[2]);
            assertEquals(ExitCodes.REJECTED, json.exitCode());
            JsonNode problem = Api.JSON.readTree(json.out());
            assertEquals(2, problem.path("violations").size(), "--output json prints the problem details as JSON");
        }
    }

    @Test
    void everyFailureHasItsDocumentedExitCode() throws Exception {
        try (StubFactory factory = new StubFactory()) {
            factory.on("GET /api/v1/builds/" + BUILD, 401, "{\"title\":\"Unauthorized\",\"status\":401}")
                    .on("POST /api/v1/builds/" + BUILD + "/cancel", 409, "{\"title\":\"too-late-to-cancel\",\"status\":409}")
                    .on("POST /api/v1/builds/" + BUILD + "/retry", 503, "{\"title\":\"Service Unavailable\",\"status\":503}");

            assertEquals(ExitCodes.UNAUTHORIZED, factory.run("builds", "get", BUILD).exitCode());
            assertEquals(ExitCodes.CONFLICT, factory.run("cancel", BUILD).exitCode());
            assertEquals(ExitCodes.UNAVAILABLE, factory.run("retry", BUILD).exitCode());
            assertEquals(ExitCodes.NOT_FOUND, factory.run("packs", "show", "no-such-pack").exitCode());
            assertEquals(ExitCodes.USAGE, factory.run("builds", "get", "../../admin").exitCode(),
                    "a build id is a UUID, never a path");
            StubFactory.Run usage = factory.run("submit");
            assertEquals(ExitCodes.USAGE, usage.exitCode());
            assertEquals(List.of("byoos: Missing required parameter: 'FILE'", "  see: byoos submit --help"),
                    usage.err().lines().toList());
            assertEquals(ExitCodes.USAGE, factory.run("builds").exitCode(), "a group needs its subcommand");
            StubFactory.Run unauthorized = factory.run("builds", "get", BUILD);
            assertTrue(unauthorized.err().startsWith("byoos: GET /api/v1/builds/" + BUILD + ": HTTP 401 Unauthorized (check BYOOS_TOKEN"),
                    unauthorized.err());
            assertFalse(unauthorized.err().contains(StubFactory.TOKEN));
        }
        StubFactory.Run down = StubFactory.run(Map.of(Settings.ENV_URL, "http://127.0.0.1:1", Settings.ENV_TOKEN, "t"),
                Path.of("/nonexistent-home"), "builds", "list");
        assertEquals(ExitCodes.UNAVAILABLE, down.exitCode());
        assertTrue(down.err().contains("cannot connect to http://127.0.0.1:1"), down.err());
        StubFactory.Run unconfigured = StubFactory.run(Map.of(), Path.of("/nonexistent-home"), "builds", "list");
        assertEquals(ExitCodes.CONFIGURATION, unconfigured.exitCode());
        assertTrue(unconfigured.err().startsWith("byoos: no URL: set BYOOS_URL"), unconfigured.err());
    }

    @Test
    void watchPrintsOneJsonLinePerChangeAndExitsWithTheOutcome() throws Exception {
        AtomicInteger polls = new AtomicInteger();
        try (StubFactory factory = new StubFactory()) {
            factory.on("GET /api/v1/builds/" + BUILD, request -> StubFactory.Answer.json(200,
                    polls.incrementAndGet() < 3 ? build("QUEUED", "") : build("CANCELLED", "")));

            StubFactory.Run run = factory.run("builds", "watch", BUILD, "--output", "json");

            assertEquals(ExitCodes.BUILD_FAILED, run.exitCode());
            String[] lines = run.out().strip().split("\n");
            assertEquals(2, lines.length, "QUEUED once (unchanged on the second poll), then CANCELLED: " + run.out());
            assertEquals("QUEUED", Api.JSON.readTree(lines[0]).path("state").asText());
            assertEquals("CANCELLED", Api.JSON.readTree(lines[1]).path("state").asText());
        }
    }

    @Test
    void logsFollowsTheRedirectToThePresignedUrlWithoutTheToken() throws Exception {
        try (StubFactory factory = new StubFactory()) {
            factory.on("GET /api/v1/builds/" + BUILD, 200, published())
                    .on("GET /api/v1/artifacts/" + SHA256 + "/log?build=" + BUILD, request -> new StubFactory.Answer(303,
                            "text/plain", new byte[0], Map.of("Location", factory.url() + "/presigned/build.log?X-Amz-Signature=s")))
                    .on("GET /presigned/build.log?X-Amz-Signature=s", request -> new StubFactory.Answer(200, "text/plain",
                            "phase customize\nimage cache: hit\n".getBytes(StandardCharsets.UTF_8), Map.of()));

            StubFactory.Run run = factory.run("logs", BUILD);

            assertEquals(ExitCodes.OK, run.exitCode(), run.err());
            assertEquals("phase customize\nimage cache: hit\n", run.out());
            StubFactory.Request presigned = factory.requests.get(factory.requests.size() - 1);
            assertEquals(null, presigned.authorization(), "the token never goes to the storage host");
        }
    }

    @Test
    void packsAndBuildsListTheCatalogAndBuildsOfTheTeam() throws Exception {
        try (StubFactory factory = new StubFactory()) {
            factory.on("GET /api/v1/packs?team=platform&page=0&size=50", 200, """
                    {"items":[{"name":"byoos-debian-12","displayName":"Debian 12","team":"platform"}],"page":0,"size":50,"total":1}""")
                    .on("GET /api/v1/builds?team=platform&state=FAILED&page=0&size=20", 200, """
                    {"items":[%s],"page":0,"size":20,"total":1}""".formatted(published()));

            StubFactory.Run packs = factory.run("packs", "list", "--team", "platform");
            StubFactory.Run builds = factory.run("builds", "list", "--team", "platform", "--state", "FAILED", "--output", "json");

            assertEquals(ExitCodes.OK, packs.exitCode(), packs.err());
            assertTrue(packs.out().contains("byoos-debian-12"), packs.out());
            assertEquals(ExitCodes.OK, builds.exitCode(), builds.err());
            assertEquals(BUILD, Api.JSON.readTree(builds.out()).path("items").get(0).path("id").asText());
        }
    }

    @Test
    void buildsListKeepsItsColumnsAlignedForLongSpecNames() throws Exception {
        String item = """
                {"id":"%s","state":"PUBLISHED","team":"platform","spec":"%s","specVersion":1,
                 "target":{"cloud":"qemu","format":"qcow2"},"createdAt":"2026-12-05T10:44:30Z"}""";
        try (StubFactory factory = new StubFactory()) {
            factory.on("GET /api/v1/builds?page=0&size=20", 200, """
                    {"items":[%s,%s],"page":0,"size":20,"total":2}""".formatted(item.formatted(BUILD, "a"),
                    item.formatted(BUILD, "debian-12-minimal-with-a-long-name")));

            StubFactory.Run run = factory.run("builds", "list");

            assertEquals(ExitCodes.OK, run.exitCode(), run.err());
            List<String> lines = run.out().lines().toList();
            assertEquals(3, lines.size(), run.out());
            int created = lines.get(0).indexOf("CREATED");
            assertEquals(created, lines.get(1).indexOf("2026-12-05"), run.out());
            assertEquals(created, lines.get(2).indexOf("2026-12-05"), run.out());
        }
    }

    @Test
    void completionPrintsABashCompletionScriptForEveryCommand() {
        StubFactory.Run run = StubFactory.run(Map.of(), Path.of("/nonexistent-home"), "completion");
        assertEquals(ExitCodes.OK, run.exitCode(), run.err());
        assertTrue(run.out().contains("complete -F _complete_byoos"), run.out().lines().limit(5).toList().toString());
        assertTrue(run.out().contains("artifacts"), "subcommands complete too");
    }
}
