package dev.byoos.worker.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.base.DebootstrapBases;
import dev.byoos.worker.builder.base.TarballBases;
import dev.byoos.worker.builder.cache.ImageCache;
import dev.byoos.worker.builder.cache.TreeCache;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.process.BuildCancellation;
import dev.byoos.worker.builder.process.BuildCancelledException;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Real Debian images: a bookworm base made by debootstrap from the machine's Debian mirror (cached in
 * {@link TestBases#DEBOOTSTRAP_CACHE}, so only the first test of the first run waits ~1.5 min for
 * it), built into a disk that boots under QEMU + OVMF. Each boot takes ~20-40 s under software
 * emulation. Needs the mirror and the Debian packages debootstrap, qemu-system-x86 and ovmf.
 */
class BootableImageTest {

    static final BuildRequested.Debootstrap BOOKWORM = new BuildRequested.Debootstrap("bookworm", TestBases.debianMirror());
    static final List<String> ALLOWED_HOSTS = List.of(URI.create(TestBases.debianMirror()).getHost());
    static final BootSmokeTest.Settings BOOT = new BootSmokeTest.Settings(true, Duration.ofSeconds(240));

    @TempDir
    Path workDir;
    @TempDir
    Path localBases;

    private final BuildLog log = new BuildLog();

    static BuildRequested request(String format, BuildRequested.Debootstrap base,
            List<BuildRequested.FileCustomization> files) {
        BuildCoordinates coordinates = new BuildCoordinates(UUID.randomUUID().toString(), "platform", "node", 1,
                "0".repeat(64), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", format), new BuildCoordinates.Pack("byoos-node", "1.0.0", "Node"));
        return new BuildRequested(coordinates, new BuildRequested.BaseImage(null, base), files);
    }

    private NativeBuilder builder(BootSmokeTest.Settings boot) {
        return builder(boot, TreeCache.disabled());
    }

    private NativeBuilder builder(BootSmokeTest.Settings boot, TreeCache trees) {
        return new NativeBuilder(NativeBuilder.Settings.localBasesOnly(localBases)
                .withRemoteBases(TestBases.debootstrapBases(TestBases.DEBOOTSTRAP_CACHE, ALLOWED_HOSTS),
                        new TarballBases(TestBases.DEBOOTSTRAP_CACHE, ALLOWED_HOSTS, TestBases.DOWNLOADS, TestBases.TARBALL_LIMITS))
                .withBootTest(new BootSmokeTest(boot)).withCaches(ImageCache.disabled(), trees));
    }

    @Test
    void aDebootstrappedBookwormImageBootsToTheMarkerWithTheSpecsFilesInside() throws IOException {
        var files = List.of(new BuildRequested.FileCustomization("/etc/byoos/node.conf", "role=worker\n", "0600"));
        Builder.BuiltImage image = builder(BOOT).build(request("raw", BOOKWORM, files), workDir, log,
                new BuildCancellation());

        assertEquals(BootSmokeTest.PASSED, image.bootTest().result(), log.toString());
        assertTrue(image.bootTest().detail().startsWith("accelerator="), image.bootTest().detail());
        assertTrue(image.bootTest().durationMillis() > 0);
        ImageInspector inside = ImageInspector.open(image, workDir);
        assertEquals("role=worker\n", inside.cat("/etc/byoos/node.conf"));
        assertTrue(inside.cat("/etc/fstab").contains("PARTUUID="), "fstab names the new disk's partitions");
        assertTrue(inside.cat("/usr/lib/os-release").contains("VERSION_CODENAME=bookworm"));

        // The SBOM lists the packages debootstrap installed and the spec's file as the image holds it.
        JsonNode bom = new ObjectMapper().readTree(image.sbom().toFile());
        List<String> purls = new ArrayList<>();
        bom.get("components").forEach(component -> purls.add(component.path("purl").asText()));
        for (String bootPackage : DebootstrapBases.BOOT_PACKAGES) {
            assertTrue(purls.stream().anyMatch(purl -> purl.startsWith("pkg:deb/debian/" + bootPackage + "@")),
                    bootPackage + " in " + purls);
        }
        assertTrue(purls.stream().allMatch(purl -> purl.isEmpty() || purl.endsWith("&distro=debian-12")), purls.toString());
        JsonNode nodeConf = StreamSupport.stream(bom.get("components").spliterator(), false)
                .filter(component -> component.get("name").asText().equals("/etc/byoos/node.conf")).findFirst()
                .orElseThrow();
        assertEquals(Sha256.of(inside.cat("/etc/byoos/node.conf")), nodeConf.at("/hashes/0/content").asText());
    }

    @Test
    void aKeptDiskIsBootedOnceAndThenServesEveryDiskFormatWithoutBootingAgain() throws IOException {
        TreeCache trees = new TreeCache(workDir.resolve("trees"), 64L << 30);
        var files = List.of(new BuildRequested.FileCustomization("/etc/byoos/node.conf", "role=worker\n", "0600"));
        // Kept by a worker with the boot test off: the disk comes without a boot test.
        BuildLog unbooted = new BuildLog();
        builder(new BootSmokeTest.Settings(false, BOOT.timeout()), trees).build(request("raw", BOOKWORM, files),
                Files.createDirectories(workDir.resolve("unbooted")), unbooted, new BuildCancellation());
        assertTrue(unbooted.toString().contains("kept the disk made of tree"), unbooted.toString());
        NativeBuilder booting = builder(BOOT, trees);

        BuildLog first = new BuildLog();
        Builder.BuiltImage qcow2 = booting.build(request("qcow2", BOOKWORM, files),
                Files.createDirectories(workDir.resolve("qcow2")), first, new BuildCancellation());
        Builder.BuiltImage raw = booting.build(request("raw", BOOKWORM, files),
                Files.createDirectories(workDir.resolve("raw")), log, new BuildCancellation());

        // The first build that needed the test booted the kept disk and recorded that it passed …
        assertTrue(first.toString().contains("the disk made of the same tree"), first.toString());
        assertTrue(first.toString().contains("$ qemu-system-x86_64"), first.toString());
        assertEquals(BootSmokeTest.PASSED, qcow2.bootTest().result(), first.toString());
        assertTrue(first.toString().contains("recorded the boot test"), first.toString());
        // … and the next one was written from the same disk without a virtual machine.
        assertTrue(log.toString().contains("the disk made of the same tree"), log.toString());
        assertFalse(log.toString().contains("qemu-system"), "no virtual machine ran: " + log);
        assertEquals(BootSmokeTest.PASSED, raw.bootTest().result());
        assertTrue(raw.bootTest().detail().startsWith(qcow2.bootTest().detail() + "; this same disk passed in "
                + qcow2.bootTest().durationMillis() + " ms when built "), raw.bootTest().detail());
        assertTrue(raw.bootTest().detail().endsWith("not booted again"), raw.bootTest().detail());
        assertEquals(0, raw.bootTest().durationMillis(), "no virtual machine ran in this build");
        assertEquals("role=worker\n", ImageInspector.open(raw, workDir).cat("/etc/byoos/node.conf"));
    }

    @Test
    void aSecondBuildOfTheSameBaseReusesTheCachedTree() throws IOException {
        BootSmokeTest.Settings noBoot = new BootSmokeTest.Settings(false, BOOT.timeout());
        builder(noBoot).build(request("raw", BOOKWORM, List.of()), Files.createDirectories(workDir.resolve("first")),
                new BuildLog(), new BuildCancellation());

        Builder.BuiltImage second = builder(noBoot).build(request("raw", BOOKWORM, List.of()),
                Files.createDirectories(workDir.resolve("second")), log, new BuildCancellation());

        assertFalse(log.toString().contains("$ debootstrap"), "debootstrap ran again: " + log);
        DebootstrapBases.Suite bookworm = TestBases.debootstrapBases(TestBases.DEBOOTSTRAP_CACHE, ALLOWED_HOSTS)
                .resolve(BOOKWORM, "debian", new BuildLog(), new BuildCancellation());
        assertTrue(log.toString().contains(bookworm.key() + " (bookworm from " + TestBases.debianMirror() + ", Release "
                + bookworm.release().sha256() + "): cached"), log.toString());
        assertEquals(BootSmokeTest.SKIPPED, second.bootTest().result());
        assertEquals("disabled on this worker (byoos.worker.boot-test.enabled=false)", second.bootTest().detail());
    }

    @Test
    void aMirrorOnAHostTheWorkerDoesNotAllowIsRefusedBeforeAnythingIsDownloaded() {
        var elsewhere = new BuildRequested.Debootstrap("bookworm", "http://mirror.example.com/debian");
        BuildException failure = assertThrows(BuildException.class,
                () -> builder(BOOT).build(request("raw", elsewhere, List.of()), workDir, log, new BuildCancellation()));
        assertEquals(BuildException.Kind.BAD_INPUT, failure.kind());
        assertEquals("HOST_NOT_ALLOWED", failure.code());
        assertTrue(failure.getMessage().contains("mirror.example.com"), failure.getMessage());
        assertFalse(log.toString().contains("$ debootstrap"), log.toString());
    }

    @Test
    void cancellingABuildWhileItsImageIsWrittenAndBootedStopsTheVirtualMachineToo() throws Exception {
        Path buildDir = Files.createDirectories(workDir.resolve("cancelled"));
        BuildCancellation cancellation = new BuildCancellation();
        var building = java.util.concurrent.CompletableFuture.supplyAsync(() -> builder(BOOT)
                .build(request("qcow2", BOOKWORM, List.of()), buildDir, log, cancellation));
        String machine = "file=" + buildDir.resolve("boot-test/overlay.qcow2");
        Processes.awaitOneWith(machine, Duration.ofMinutes(3));

        cancellation.cancel();

        // The boot test runs beside the qcow2 write; the build's cancellation reaches its machine too.
        Processes.awaitNoneWith(machine);
        var failure = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> building.get(1, java.util.concurrent.TimeUnit.MINUTES));
        assertTrue(failure.getCause() instanceof BuildCancelledException, String.valueOf(failure.getCause()));
    }

    @Test
    void aDiskThatCannotBootFailsTheBuildWithTheLastConsoleLines() throws IOException {
        // An initrd that is not one: the kernel cannot load the virtio disk driver and panics.
        DebootstrapBases bases = TestBases.debootstrapBases(TestBases.DEBOOTSTRAP_CACHE, ALLOWED_HOSTS);
        Path base = bases.checkout(bases.resolve(BOOKWORM, "debian", log, new BuildCancellation()), workDir,
                new CommandRunner(log, new BuildCancellation()), log, new BuildCancellation()).root();
        String initrd;
        try (Stream<Path> boot = Files.list(base.resolve("boot"))) {
            initrd = boot.map(file -> file.getFileName().toString()).filter(name -> name.startsWith("initrd.img-"))
                    .findFirst().orElseThrow();
        }
        var broken = List.of(new BuildRequested.FileCustomization("/boot/" + initrd, "not an initramfs\n", "0644"));

        Path trees = workDir.resolve("trees");
        BuildException failure = assertThrows(BuildException.class,
                () -> builder(new BootSmokeTest.Settings(true, Duration.ofSeconds(150)), new TreeCache(trees, 64L << 30))
                        .build(request("raw", BOOKWORM, broken), Files.createDirectories(workDir.resolve("build")), log,
                                new BuildCancellation()));

        assertEquals("BOOT_TEST_FAILED", failure.code());
        assertTrue(log.toString().contains("disk assembled"), log.toString());
        // The cache's directory is made by the first store: none, or one without a disk or tree in it.
        if (Files.exists(trees)) {
            try (Stream<Path> kept = Files.list(trees)) {
                assertTrue(kept.noneMatch(entry -> Files.exists(entry.resolve("disk.raw"))
                        || Files.exists(entry.resolve("rootfs"))), "a disk that did not boot, and its tree, are not kept");
            }
        }
        assertEquals(BuildException.Kind.BUILDER, failure.kind());
        assertTrue(failure.getMessage().contains("last serial console lines: "), failure.getMessage());
        assertTrue(failure.getMessage().contains("Kernel panic"), failure.getMessage());
        Processes.awaitNoneWith("file=" + workDir.resolve("build/boot-test/overlay.qcow2"));
    }
}
