package dev.byoos.worker.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.NativeBuilder;
import dev.byoos.worker.builder.TestBases;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.testsupport.TestStack;

/**
 * Where Edge images go, a registry that does not answer, and an existing tag on the test stack's
 * registry that is never overwritten (the whole push pulled back: EdgeOciImageTest).
 */
class OciImagePusherTest {

    @TempDir
    Path workDir;

    private static BuildCoordinates build(String version) {
        return build(version, "byoos-edge");
    }

    private static BuildCoordinates build(String version, String packName) {
        return new BuildCoordinates("b-1", "platform", "node", 1, "0".repeat(64),
                new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4", new BuildCoordinates.Target("edge", "oci"),
                new BuildCoordinates.Pack(packName, version, "Edge"));
    }

    private static Path edgeImage(BuildCoordinates build, String motd, Path dir) throws IOException {
        Files.createDirectories(dir);
        BuildRequested request = new BuildRequested(build, new BuildRequested.BaseImage("debian-12-skeleton"),
                List.of(new BuildRequested.FileCustomization("/etc/motd", motd, "0644")));
        return new NativeBuilder(NativeBuilder.Settings.localBasesOnly(TestBases.EXAMPLE_BASES))
                .build(request, dir, new BuildLog(), new BuildCancellation()).file();
    }

    /** What the registry serves under the tag, asked with skopeo directly. */
    private static String taggedDigest(String reference, Path workDir) {
        return new CommandRunner(new BuildLog(), new BuildCancellation()).run(Duration.ofMinutes(1), workDir, null,
                "skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://" + reference).strip();
    }

    private static OciImagePusher pusher(String url, String basePath) {
        return new OciImagePusher(new OciImagePusher.Settings(URI.create(url), basePath, Optional.empty(),
                Optional.empty(), Optional.empty()));
    }

    @Test
    void imagesArePushedBelowTheBasePathUnderEdgeTaggedWithThePackVersion() {
        assertEquals("registry.corp:5000/byoos/edge/byoos-edge:1.2.0",
                pusher("http://registry.corp:5000", "/byoos/").reference(build("1.2.0")));
        assertEquals("registry.corp/edge/byoos-edge:1.2.0_7",
                pusher("https://registry.corp", "").reference(build("1.2.0+7")), "tags cannot hold '+'");
        assertThrows(IllegalArgumentException.class, () -> pusher("registry.corp:5000", "byoos"));
    }

    @Test
    void anExistingEdgeTagIsNeverOverwrittenByAnotherImageButTheSameImageIsPushedAgain() throws IOException {
        String registry = TestStack.endpoints().registryUrl();
        BuildCoordinates build = build("1.0.0", "edge-" + UUID.randomUUID().toString().substring(0, 8));
        CommandRunner commands = new CommandRunner(new BuildLog(), new BuildCancellation());
        Path first = edgeImage(build, "first\n", workDir.resolve("first"));
        Path second = edgeImage(build, "second\n", workDir.resolve("second"));
        OciImagePusher pusher = pusher(registry, "byoos");

        BuildCompleted.OciImage published = pusher.push(first, build, workDir.resolve("first"), commands);
        BuildException refused = assertThrows(BuildException.class,
                () -> pusher.push(second, build, workDir.resolve("second"), commands));
        BuildCompleted.OciImage again = pusher.push(first, build, workDir.resolve("first"), commands);

        assertEquals(OciImagePusher.EDGE_TAG_TAKEN, refused.code());
        assertEquals(BuildException.Kind.BAD_INPUT, refused.kind());
        assertTrue(refused.getMessage().contains(published.digest()), refused.getMessage());
        assertEquals(published, again, "a retried build finds its own image under the tag");
        assertEquals(published.digest(), taggedDigest(published.reference(), workDir), "the tag still holds the first image");
    }

    @Test
    void aRegistryThatDoesNotAnswerIsAnInfrastructureFailureTheWorkerRetries() throws IOException {
        BuildRequested request = new BuildRequested(build("1.0.0"), new BuildRequested.BaseImage("debian-12-skeleton"),
                List.of(new BuildRequested.FileCustomization("/etc/motd", "hello\n", "0644")));
        BuildLog log = new BuildLog();
        Builder.BuiltImage image = new NativeBuilder(NativeBuilder.Settings.localBasesOnly(TestBases.EXAMPLE_BASES)).build(request, workDir, log,
                new BuildCancellation());
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }

        BuildException failure = assertThrows(BuildException.class, () -> pusher("http://127.0.0.1:" + closedPort,
                "byoos").push(image.file(), request.build(), workDir, new CommandRunner(log, new BuildCancellation())));

        assertEquals(OciImagePusher.REGISTRY_UNAVAILABLE, failure.code());
        assertEquals(BuildException.Kind.INFRASTRUCTURE, failure.kind());
        assertTrue(failure.retryable());
        assertTrue(failure.getMessage().contains("127.0.0.1:" + closedPort + "/byoos/edge/byoos-edge:1.0.0"),
                failure.getMessage());
    }
}
