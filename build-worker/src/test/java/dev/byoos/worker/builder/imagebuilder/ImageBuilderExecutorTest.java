package dev.byoos.worker.builder.imagebuilder;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.contract.BuildCompleted.CloudImage;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.BuildCancelledException;

/**
 * The image-builder executor against a scripted stand-in for image-builder's {@code make}
 * (src/test/resources/image-builder-stand-in/make): what it is given, how it is supervised, and
 * what is read back from the Packer manifest it writes. No Packer and no cloud are involved.
 */
class ImageBuilderExecutorTest {

    static final Path STAND_IN = Path.of("src/test/resources/image-builder-stand-in/make").toAbsolutePath();
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path checkout;

    @TempDir
    Path workDir;

    @BeforeEach
    void installTheStandIn() throws Exception {
        Files.copy(STAND_IN, checkout.resolve("make"));
        Files.setPosixFilePermissions(checkout.resolve("make"), PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    static BuildRequested amiRequest(List<String> regions) {
        return new BuildRequested(new BuildCoordinates("b-ami", "platform", "node", 1, "ab".repeat(32),
                new BuildCoordinates.OperatingSystem("ubuntu", "22.04"), "1.30.4",
                new BuildCoordinates.Target("aws", "ami"), new BuildCoordinates.Pack("node", "1.0.0", "Node")),
                new BuildRequested.BaseImage("unused-by-image-builder"), List.of(), BuildRequested.STANDARD,
                List.of("jq", "nfs-common"), null, null, null, null, null, BuildRequested.IMAGE_BUILDER,
                new BuildRequested.CloudParameters(regions, null, null, null), null);
    }

    private ImageBuilderExecutor executor() {
        return new ImageBuilderExecutor(new ImageBuilderExecutor.Settings(Optional.of(checkout),
                List.of(checkout.resolve("make").toString()), BOUND));
    }

    @Test
    void runsTheMakeTargetWithAVariableFileAndReadsTheAmisFromPackersManifest() throws Exception {
        BuildLog log = new BuildLog();
        Builder.BuiltImage built = executor().build(amiRequest(List.of("eu-west-1", "us-east-1")), workDir, log,
                new BuildCancellation());

        assertEquals("build-ami-ubuntu-2204", Files.readString(checkout.resolve("received-target")).strip());
        Map<String, String> variables = JSON.readValue(checkout.resolve("received-variables.json").toFile(),
                new TypeReference<>() {
                });
        assertEquals("v1.30.4", variables.get("kubernetes_semver"));
        assertEquals("v1.30", variables.get("kubernetes_series"));
        assertEquals("1.30.4-1.1", variables.get("kubernetes_deb_version"));
        assertEquals("jq nfs-common", variables.get("extra_debs"));
        assertEquals("eu-west-1", variables.get("aws_region"));
        assertEquals("eu-west-1,us-east-1", variables.get("ami_regions"));
        assertEquals(workDir.resolve(ImageBuilderExecutor.MANIFEST_FILE).toString(), variables.get("manifest_output"));

        assertEquals(workDir.resolve(ImageBuilderExecutor.MANIFEST_FILE), built.file());
        assertEquals(ImageBuilderExecutor.MANIFEST_FORMAT, built.format());
        assertEquals(List.of(new CloudImage("aws", "eu-west-1", "ami-01000000000000001"),
                new CloudImage("aws", "us-east-1", "ami-02000000000000002")), built.cloudImages());
        assertEquals("skipped", built.bootTest().result());
        assertTrue(log.toString().contains("Build 'amazon-ebs.ubuntu-2204' finished"), "make's output is in the build log");
    }

    @Test
    void aFailedMakeIsAFailureWithPackersLastWords() throws Exception {
        Files.writeString(checkout.resolve("mode"), "fail");
        BuildException failed = assertThrows(BuildException.class,
                () -> executor().build(amiRequest(List.of("eu-west-1")), workDir, new BuildLog(), new BuildCancellation()));
        assertEquals("IMAGE_BUILDER_FAILED", failed.code());
        assertTrue(failed.retryable(), "a cloud build failing is worth another try");
        assertTrue(failed.getMessage().startsWith(checkout.resolve("make") + " build-ami-ubuntu-2204 exited with 1: "),
                failed.getMessage());
        assertTrue(failed.getMessage().contains("UnauthorizedOperation"), failed.getMessage());
    }

    @Test
    void cancellingKillsMakeAndEverythingItStarted() throws Exception {
        Files.writeString(checkout.resolve("mode"), "hang");
        BuildCancellation cancellation = new BuildCancellation();
        CompletableFuture<Builder.BuiltImage> build = CompletableFuture.supplyAsync(
                () -> executor().build(amiRequest(List.of("eu-west-1")), workDir, new BuildLog(), cancellation));
        Path child = checkout.resolve("child.pid");
        await("the stand-in is running").atMost(BOUND).until(() -> Files.exists(child) && !read(child).isEmpty());
        long makePid = Long.parseLong(read(checkout.resolve("hanging.pid")));
        long childPid = Long.parseLong(read(child));

        cancellation.cancel();

        ExecutionException stopped = assertThrows(ExecutionException.class, () -> build.get(BOUND.toSeconds(), TimeUnit.SECONDS));
        assertTrue(stopped.getCause() instanceof BuildCancelledException, String.valueOf(stopped.getCause()));
        for (long pid : List.of(makePid, childPid)) {
            Optional<ProcessHandle> process = ProcessHandle.of(pid);
            if (process.isPresent()) {
                process.get().onExit().get(BOUND.toSeconds(), TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aWorkerWithoutACheckoutSaysSo() {
        ImageBuilderExecutor unconfigured = new ImageBuilderExecutor(
                new ImageBuilderExecutor.Settings(Optional.empty(), List.of("make"), BOUND));
        BuildException failed = assertThrows(BuildException.class,
                () -> unconfigured.build(amiRequest(List.of("eu-west-1")), workDir, new BuildLog(), new BuildCancellation()));
        assertEquals("IMAGE_BUILDER_NOT_CONFIGURED", failed.code());
        assertTrue(failed.getMessage().contains("byoos.worker.image-builder.dir is not set"), failed.getMessage());
    }

    @Test
    void customizationsImageBuilderCannotApplyAreRefusedNotDropped() {
        BuildRequested ami = amiRequest(List.of("eu-west-1"));
        BuildRequested request = new BuildRequested(ami.build(), ami.base(),
                List.of(new BuildRequested.FileCustomization("/etc/motd", "hi", "0644")), BuildRequested.STANDARD,
                ami.packages(), List.of(new BuildRequested.User("ops", null, null)), null, null, null, null,
                BuildRequested.IMAGE_BUILDER, ami.cloud(), null);
        BuildException refused = assertThrows(BuildException.class,
                () -> executor().build(request, workDir, new BuildLog(), new BuildCancellation()));
        assertEquals("CUSTOMIZATION_NOT_SUPPORTED", refused.code());
        assertTrue(refused.getMessage().contains("not files, users"), refused.getMessage());
        assertFalse(Files.exists(checkout.resolve("received-target")), "make never ran");
    }

    @Test
    void succeedingWithoutAManifestIsABuilderBug() throws Exception {
        Files.writeString(checkout.resolve("make"), "#!/bin/sh\necho 'nothing built'\n");
        BuildException failed = assertThrows(BuildException.class,
                () -> executor().build(amiRequest(List.of("eu-west-1")), workDir, new BuildLog(), new BuildCancellation()));
        assertEquals("PACKER_MANIFEST_MISSING", failed.code());
        assertEquals(BuildException.Kind.BUILDER, failed.kind());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
