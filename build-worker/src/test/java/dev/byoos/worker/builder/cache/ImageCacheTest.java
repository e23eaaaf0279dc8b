package dev.byoos.worker.builder.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.NativeBuilder;
import dev.byoos.worker.builder.NativeBuilderTest;
import dev.byoos.worker.builder.TestBases;
import dev.byoos.worker.builder.base.DebootstrapBases;
import dev.byoos.worker.builder.base.TarballBases;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentSource;
import dev.byoos.worker.builder.process.BuildCancellation;

/** Identical requests on identical inputs are served from the image cache; any changed input is built. */
class ImageCacheTest {

    static final long PLENTY = 1L << 30;

    @TempDir
    static Path bases;
    @TempDir
    Path cacheDir;
    @TempDir
    Path scratch;

    @BeforeAll
    static void makeBases() {
        TestBases.busyboxBase(bases);
    }

    private NativeBuilder builder(long cacheBytes) {
        return new NativeBuilder(NativeBuilder.Settings.localBasesOnly(bases)
                .withRemoteBases(TestBases.debootstrapBases(scratch.resolve("debootstrap"), List.of()),
                        new TarballBases(scratch.resolve("debootstrap"), List.of(), TestBases.DOWNLOADS, TestBases.TARBALL_LIMITS))
                .withCaches(new ImageCache(cacheDir, cacheBytes), TreeCache.disabled()).withBuilderVersion("test-1"));
    }

    /** A built image and its build's log. */
    record Built(Builder.BuiltImage image, String log) {
    }

    private Built build(NativeBuilder builder, BuildRequested request) throws IOException {
        Path workDir = Files.createDirectories(scratch.resolve(request.build().buildId()));
        BuildLog log = new BuildLog();
        return new Built(builder.build(request, workDir, log, new BuildCancellation()), log.toString());
    }

    static BuildRequested request(String format, String motd) {
        return NativeBuilderTest.request(format, TestBases.BUSYBOX,
                List.of(new BuildRequested.FileCustomization("/etc/motd", motd, "0644")));
    }

    @Test
    void aSecondIdenticalBuildIsServedFromTheCacheWithTheSameBytesSbomAndInputs() throws IOException {
        NativeBuilder builder = builder(PLENTY);
        Builder.BuiltImage first = build(builder, request("qcow2", "hello\n")).image();
        Built again = build(builder, request("qcow2", "hello\n"));
        Builder.BuiltImage second = again.image();

        assertFalse(first.fromCache());
        assertTrue(second.fromCache(), again.log());
        assertTrue(again.log().contains("image cache: hit"), again.log());
        assertFalse(again.log().contains("$ "), "no command ran: " + again.log());
        assertEquals(Sha256.of(first.file()), Sha256.of(second.file()));
        assertEquals(Sha256.of(first.sbom()), Sha256.of(second.sbom()));
        assertEquals(first.inputs(), second.inputs());
        assertEquals(first.bootTest(), second.bootTest());
    }

    @Test
    void aChangedLayerInputOrFormatIsBuiltAgain() throws IOException {
        NativeBuilder builder = builder(PLENTY);
        Builder.BuiltImage first = build(builder, request("qcow2", "hello\n")).image();

        Built changedFile = build(builder, request("qcow2", "goodbye\n"));
        Builder.BuiltImage other = changedFile.image();
        assertFalse(other.fromCache(), changedFile.log());
        assertTrue(changedFile.log().contains("image cache: miss"), changedFile.log());
        assertNotEquals(input(first, "layer:files"), input(other, "layer:files"));
        assertEquals(input(first, "base:local/" + TestBases.BUSYBOX), input(other, "base:local/" + TestBases.BUSYBOX));
        assertEquals(input(first, "layer:users"), input(other, "layer:users"));

        assertFalse(build(builder, request("raw", "hello\n")).image().fromCache(), "another format");
    }

    /**
     * The template name is in an OVA's file names and descriptor, so another name is another image;
     * the folder is not in the file, so another folder is a hit that still reports its own path.
     */
    @Test
    void anOvaForAnotherTemplateIsBuiltAgainAndAHitReportsItsOwnFolder() throws IOException {
        NativeBuilder builder = builder(PLENTY);
        Builder.BuiltImage first = build(builder, ova("/dc1/a", "r_u-pool-a")).image();
        Built otherFolder = build(builder, ova("/dc1/b", "r_u-pool-a"));
        Built otherName = build(builder, ova("/dc1/a", "r_u-pool-b"));

        assertFalse(first.fromCache());
        assertTrue(otherFolder.image().fromCache(), otherFolder.log());
        assertEquals(List.of(new BuildCompleted.CloudImage("vsphere", null, "/dc1/b/r_u-pool-a")),
                otherFolder.image().cloudImages());
        assertFalse(otherName.image().fromCache(), otherName.log());
        assertEquals("r_u-pool-b.ova", otherName.image().file().getFileName().toString());
        assertEquals(List.of(new BuildCompleted.CloudImage("vsphere", null, "/dc1/a/r_u-pool-b")),
                otherName.image().cloudImages());
    }

    private static BuildRequested ova(String folder, String templateName) {
        return NativeBuilderTest.vsphereRequest(TestBases.BUSYBOX, List.of(),
                new BuildRequested.CloudParameters(null, null, folder, templateName));
    }

    @Test
    void aChangedBaseIsBuiltAgain() throws IOException {
        NativeBuilder builder = builder(PLENTY);
        Builder.BuiltImage first = build(builder, request("raw", "hello\n")).image();
        Files.writeString(bases.resolve(TestBases.BUSYBOX).resolve("etc/issue"), "changed base\n");
        try {
            Builder.BuiltImage second = build(builder, request("raw", "hello\n")).image();
            assertFalse(second.fromCache());
            assertNotEquals(input(first, "base:local/" + TestBases.BUSYBOX),
                    input(second, "base:local/" + TestBases.BUSYBOX));
        } finally {
            Files.delete(bases.resolve(TestBases.BUSYBOX).resolve("etc/issue"));
        }
    }

    @Test
    void theLeastRecentlyUsedImagesAreEvictedToStayWithinTheBound() throws IOException {
        NativeBuilder roomy = builder(PLENTY);
        Builder.BuiltImage first = build(roomy, request("raw", "one\n")).image();
        long oneEntry = Files.size(first.file()) + Files.size(first.sbom()) + 4096;
        // Room for one entry: storing the second evicts the first.
        NativeBuilder tight = builder(oneEntry);
        build(tight, request("raw", "two\n")).image();

        assertEquals(1, entries(), "one entry left");
        assertTrue(build(tight, request("raw", "two\n")).image().fromCache(), "the newer one stayed");
        assertFalse(build(tight, request("raw", "one\n")).image().fromCache(), "the older one went");
    }

    /** Records no worker of this release writes: by hand, by another release, or damaged on disk. */
    static Stream<byte[]> unusableRecords() {
        return Stream.of("{ not json".getBytes(StandardCharsets.UTF_8),
                new byte[] {'{', (byte) 0xff, (byte) 0xfe, '}'}, // not UTF-8
                "{\"imageSha256\":\"ab\",\"sbom\":\"sbom.cdx.json\",\"sbomSha256\":\"cd\"}".getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @MethodSource("unusableRecords")
    void anEntryWhoseRecordCannotBeUsedIsRemovedAndBuiltAgain(byte[] record) throws IOException {
        NativeBuilder builder = builder(PLENTY);
        build(builder, request("raw", "hello\n"));
        Files.write(onlyEntry().resolve(ImageCache.RECORD), record);

        assertFalse(build(builder, request("raw", "hello\n")).image().fromCache());
        assertTrue(build(builder, request("raw", "hello\n")).image().fromCache(), "cached again by the rebuild");
    }

    @Test
    void aRecordNamingAFileOutsideItsEntryIsDiscardedEvenWithThatFilesDigest() throws IOException {
        NativeBuilder builder = builder(PLENTY);
        build(builder, request("raw", "hello\n"));
        Path entry = onlyEntry();
        Path outside = Files.writeString(cacheDir.resolve("not-an-image.raw"), "any file the worker can read");
        Files.writeString(entry.resolve(ImageCache.RECORD), "{\"image\":\"../not-an-image.raw\",\"imageSha256\":\""
                + Sha256.of(outside) + "\",\"sbom\":\"sbom.cdx.json\",\"sbomSha256\":\""
                + Sha256.of(entry.resolve("sbom.cdx.json")) + "\",\"format\":\"raw\"}");

        Built again = build(builder, request("raw", "hello\n"));

        assertFalse(again.image().fromCache(), again.log());
        assertTrue(again.log().contains("discarded, its record does not name two files of the entry"), again.log());
    }

    private Path onlyEntry() throws IOException {
        try (Stream<Path> children = Files.list(cacheDir)) {
            return children.filter(Files::isDirectory).findFirst().orElseThrow();
        }
    }

    /** The image file of the one entry in the cache. */
    private Path entryImage() throws IOException {
        try (Stream<Path> children = Files.list(cacheDir)) {
            Path entry = children.filter(child -> Files.isRegularFile(child.resolve(ImageCache.RECORD))).findFirst()
                    .orElseThrow();
            try (Stream<Path> files = Files.list(entry)) {
                return files.filter(file -> !List.of(ImageCache.RECORD, "sbom.cdx.json")
                        .contains(file.getFileName().toString())).findFirst().orElseThrow();
            }
        }
    }

    @Test
    void aTamperedEntryIsDiscardedAndBuiltAgain() throws IOException {
        NativeBuilder builder = builder(PLENTY);
        build(builder, request("raw", "hello\n"));
        try (FileChannel image = FileChannel.open(entryImage(), StandardOpenOption.WRITE)) {
            image.write(ByteBuffer.wrap("tampered".getBytes(StandardCharsets.UTF_8)), 0);
        }

        Built again = build(builder, request("raw", "hello\n"));

        assertFalse(again.image().fromCache(), again.log());
        assertTrue(again.log().contains("discarded, its content is not what was stored"), again.log());
        assertTrue(build(builder, request("raw", "hello\n")).image().fromCache(), "cached again by the rebuild");
    }

    @Test
    void aHitIsTheBuildsOwnCopy() throws IOException {
        NativeBuilder builder = builder(PLENTY);
        String built = Sha256.of(build(builder, request("raw", "hello\n")).image().file());
        Builder.BuiltImage hit = build(builder, request("raw", "hello\n")).image();
        assertTrue(hit.fromCache());

        Files.writeString(hit.file(), "written by the build", StandardOpenOption.APPEND);

        Builder.BuiltImage next = build(builder, request("raw", "hello\n")).image();
        assertTrue(next.fromCache(), "the entry is as it was stored");
        assertEquals(built, Sha256.of(next.file()));
    }

    @Test
    void aBuildThatFailsCachesNothing() throws IOException {
        BuildRequested failing = NativeBuilderTest.request("raw", TestBases.BUSYBOX,
                List.of(new BuildRequested.FileCustomization("/etc/motd", "x", "0644", "nobody-known:root")));
        BuildException failure = assertThrows(BuildException.class,
                () -> build(builder(PLENTY), failing));
        assertEquals("UNKNOWN_OWNER", failure.code());
        assertEquals(0, entries());
    }

    private long entries() throws IOException {
        try (Stream<Path> children = Files.list(cacheDir)) {
            return children.filter(child -> Files.isRegularFile(child.resolve(ImageCache.RECORD))).count();
        }
    }

    private static String input(Builder.BuiltImage image, String name) {
        return image.inputs().stream().filter(input -> input.name().equals(name)).map(BuildCompleted.Input::sha256)
                .findFirst().orElseThrow(() -> new AssertionError("no input " + name + " in " + image.inputs()));
    }
}
