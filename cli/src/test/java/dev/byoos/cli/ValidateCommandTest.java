package dev.byoos.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

class ValidateCommandTest {

    private static final Path HOME = Path.of("/nonexistent-home");

    @TempDir
    Path directory;

    @Test
    void everyExampleIsValidOfflineWithoutAnySettings() throws Exception {
        try (var examples = Files.list(Path.of("../examples"))) {
            for (Path example : examples.filter(file -> file.toString().endsWith(".yaml")).toList()) {
                StubFactory.Run run = StubFactory.run(Map.of(), HOME, "validate", example.toString());
                assertEquals(ExitCodes.OK, run.exitCode(), example + ": " + run.err());
            }
        }
    }

    @Test
    void anInvalidSpecIsRejectedOfflineWithTheServersPointersAndCodes() throws Exception {
        Path spec = directory.resolve("bad.yaml");
        Files.writeString(spec, Files.readString(Path.of("../examples/debian-12-qemu.yaml"))
                .replace("name: debian-12-node", "name: Not_A_Label")
                .replace("targets:", "colour: blue\n  targets:"));

        StubFactory.Run text = StubFactory.run(Map.of(), HOME, "validate", spec.toString());
        StubFactory.Run json = StubFactory.run(Map.of(), HOME, "validate", spec.toString(), "--output", "json");

        assertEquals(ExitCodes.REJECTED, text.exitCode());
        assertTrue(text.err().startsWith("byoos: " + spec + ": the image spec was rejected: 2 violation(s), first: /metadata/name"),
                text.err());
        assertTrue(text.err().contains("\n  /spec/colour  UNKNOWN_FIELD  "), text.err());
        JsonNode problem = Api.JSON.readTree(json.out());
        assertEquals("INVALID_FORMAT", problem.path("violations").get(0).path("code").asText());
    }

    @Test
    void aSyntaxErrorIsOneLineThatSaysWhere() throws Exception {
        Path spec = directory.resolve("broken.yaml");
        Files.writeString(spec, "apiVersion: byoos.dev/v1alpha1\nkind: [ImageSpec\n");

        StubFactory.Run run = StubFactory.run(Map.of(), HOME, "validate", spec.toString());

        assertEquals(ExitCodes.REJECTED, run.exitCode());
        assertTrue(run.err().startsWith("byoos: " + spec + ": the image spec was rejected: 1 violation(s), first: "
                + "not a valid YAML document: line 3, column 1: "), run.err());
        assertTrue(run.err().contains("\n  MALFORMED_DOCUMENT  not a valid YAML document: line 3, column 1: "), run.err());
    }

    @Test
    void onlineValidationNamesTheMirrorTheFactoryChose() throws Exception {
        try (StubFactory factory = new StubFactory()) {
            factory.on("POST /api/v1/specs/validate", 200, """
                    {"valid":true,"spec":{"metadata":{"team":"platform","name":"debian-12-tiny"},"spec":{"targets":[{}],
                     "os":{"base":{"debootstrap":{"suite":"bookworm","mirror":"https://mirror.corp.example/debian"}}}}}}""");

            StubFactory.Run run = factory.run("validate", "--online", "../examples/debian-12-tiny.yaml");

            assertEquals(ExitCodes.OK, run.exitCode(), run.err());
            assertTrue(run.out().contains("\n  base: debootstrap bookworm from https://mirror.corp.example/debian"), run.out());
        }
    }

    @Test
    void theValidSpecIsShownWithItsDefaultsAsJson() throws Exception {
        StubFactory.Run run = StubFactory.run(Map.of(), HOME, "validate", "../examples/debian-12-qemu.yaml", "--output", "json");

        assertEquals(ExitCodes.OK, run.exitCode(), run.err());
        JsonNode result = Api.JSON.readTree(run.out());
        assertTrue(result.path("valid").asBoolean());
        assertEquals("debian-12-node", result.path("spec").path("metadata").path("name").asText());
    }

    @Test
    void aSpecWithoutABaseIsValidOfflineAndSaysTheServerPicksItsMirror() throws Exception {
        StubFactory.Run text = StubFactory.run(Map.of(), HOME, "validate", "../examples/debian-12-tiny.yaml");
        StubFactory.Run json = StubFactory.run(Map.of(), HOME, "validate", "../examples/debian-12-tiny.yaml",
                "--output", "json");

        assertEquals(ExitCodes.OK, text.exitCode(), text.err());
        assertTrue(text.out().contains("base: debootstrap from the server's default mirror"), text.out());
        JsonNode base = Api.JSON.readTree(json.out()).path("spec").path("spec").path("os").path("base");
        assertEquals("bookworm", base.path("debootstrap").path("suite").asText(), base.toString());
        assertTrue(base.path("debootstrap").path("mirror").asText().endsWith(".invalid/debian"), base.toString());
    }

    @Test
    void offlineHostsAreCheckedOnlyAgainstTheListGivenAndSayWhenTheyWereNot() throws Exception {
        Path spec = directory.resolve("tarball.yaml");
        Files.writeString(spec, Files.readString(Path.of("../examples/debian-12-tiny.yaml"))
                .replace("os: {name: debian, version: \"12\"}", "os: {name: debian, version: \"12\", base: {tarball: "
                        + "{url: \"https://images.team-b.example/root.tar\", sha256: \"" + "a".repeat(64) + "\"}}}"));

        StubFactory.Run unchecked = StubFactory.run(Map.of(), HOME, "validate", spec.toString());
        StubFactory.Run allowed = StubFactory.run(Map.of(), HOME, "validate", spec.toString(),
                "--allowed-hosts", "mirror.example,.team-b.example");
        StubFactory.Run refused = StubFactory.run(Map.of(), HOME, "validate", spec.toString(),
                "--allowed-hosts", "mirror.example");

        assertEquals(ExitCodes.OK, unchecked.exitCode(), unchecked.err());
        assertTrue(unchecked.out().contains("\n  hosts: not checked (the factory's allow-list is not known offline"),
                unchecked.out());
        assertEquals(ExitCodes.OK, allowed.exitCode(), allowed.err());
        assertTrue(!allowed.out().contains("hosts: not checked"), allowed.out());
        assertEquals(ExitCodes.REJECTED, refused.exitCode(), refused.out());
        // A spec that names no host has nothing left unchecked.
        StubFactory.Run hostless = StubFactory.run(Map.of(), HOME, "validate", "../examples/debian-12-tiny.yaml");
        assertTrue(!hostless.out().contains("hosts:"), hostless.out());
        assertTrue(refused.err().contains("/spec/os/base/tarball/url  HOST_NOT_ALLOWED  host 'images.team-b.example'"),
                refused.err());
    }
}
