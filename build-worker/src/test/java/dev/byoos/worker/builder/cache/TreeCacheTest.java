package dev.byoos.worker.builder.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.BuildInputs;
import dev.byoos.worker.builder.Builder;
import dev.byoos.worker.builder.ImageInspector;
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

/**
 * A spec built for another format (or whose image was evicted) reuses its customized tree: no base
 * copy, no layers, the same SBOM, the spec's content in the image; a format written from the disk
 * alone reuses the disk made of that tree. The cache and the scratch directories are on one
 * filesystem here, as the worker's settings ask.
 */
class TreeCacheTest {

    static final long PLENTY = 1L << 30;

    @TempDir
    static Path bases;
    @TempDir
    Path work;

    @BeforeAll
    static void makeBases() {
        TestBases.busyboxBase(bases);
    }

    private NativeBuilder builder(Path treeCache, long treeBytes) {
        return new NativeBuilder(NativeBuilder.Settings.localBasesOnly(bases)
                .withRemoteBases(TestBases.debootstrapBases(work.resolve("debootstrap"), List.of()),
                        new TarballBases(work.resolve("debootstrap"), List.of(), TestBases.DOWNLOADS, TestBases.TARBALL_LIMITS))
                .withCaches(ImageCache.disabled(), new TreeCache(treeCache, treeBytes)).withBuilderVersion("test-1"));
    }

    /** A built image and its build's log. */
    record Built(Builder.BuiltImage image, String log) {
    }

    private Built build(NativeBuilder builder, BuildRequested request, String name) throws IOException {
        Path workDir = Files.createDirectories(work.resolve("scratch").resolve(name));
        BuildLog log = new BuildLog();
        return new Built(builder.build(request, workDir, log, new BuildCancellation()), log.toString());
    }

    private static BuildRequested request(String format, String motd) {
        return ImageCacheTest.request(format, motd);
    }

    @Test
    void aFormatWrittenFromTheTreeStartsFromTheKeptTree() throws IOException {
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);
        Built qcow2 = build(builder, request("qcow2", "hello\n"), "qcow2");
        assertTrue(qcow2.log().contains("tree cache: miss"), qcow2.log());
        assertTrue(qcow2.log().contains("tree cache: kept the customized tree"), qcow2.log());
        assertFalse(Files.exists(work.resolve("scratch/qcow2/rootfs")), "the tree moved into the cache");
        Path kept = cachedTree(work.resolve("trees"));
        String keptContent = Sha256.ofTree(kept);

        Built tarball = build(builder, request("tgz", "hello\n"), "tgz");

        assertTrue(tarball.log().contains("tree cache: hit "), tarball.log());
        assertTrue(tarball.log().contains("the base with the same layers"), "the tree, not the disk: " + tarball.log());
        assertFalse(tarball.log().contains("[base "), "no base was prepared: " + tarball.log());
        assertEquals(Sha256.of(qcow2.image().sbom()), Sha256.of(tarball.image().sbom()), "the tree's SBOM, reused");
        assertEquals("hello\n", fileInTarball(tarball.image().file(), "./etc/motd"));
        // The reused tree was copied: the cached one is as the first build left it.
        assertEquals(keptContent, Sha256.ofTree(kept));
    }

    @Test
    void anotherDiskFormatOfTheSameSpecIsWrittenFromTheKeptDiskAndMakesTheSameImage() throws IOException {
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);
        Built qcow2 = build(builder, request("qcow2", "hello\n"), "qcow2");
        assertTrue(qcow2.log().contains("tree cache: kept the disk made of tree"), qcow2.log());
        assertEquals(1, disks(work.resolve("trees")));
        Path keptDisk = keptDisk(work.resolve("trees"));
        String keptSha256 = Sha256.of(keptDisk);

        Built raw = build(builder, request("raw", "hello\n"), "raw");

        assertTrue(raw.log().contains("the disk made of the same tree"), raw.log());
        assertFalse(raw.log().contains("assembling the disk"), "no disk was assembled: " + raw.log());
        // The copy is hashed while the image is written from it; the image is used once the copy checked out.
        assertTrue(raw.log().indexOf("raw image written and checked") < raw.log().indexOf(
                "tree cache: the copy of the disk checks out"), raw.log());
        assertFalse(raw.log().contains("$ mke2fs"), raw.log());
        assertFalse(Files.exists(work.resolve("scratch/raw").resolve(TreeCache.TREE)), "no tree was copied");
        assertEquals(Sha256.of(qcow2.image().sbom()), Sha256.of(raw.image().sbom()), "the tree's SBOM, reused");
        ImageInspector inside = ImageInspector.open(raw.image(), work);
        assertEquals("hello\n", inside.cat("/etc/motd"));
        inside.fsck();
        // The same bytes as a raw disk built from nothing, and the kept disk is as the first build left it.
        Built fresh = build(builder(work.resolve("no-trees"), PLENTY), request("raw", "hello\n"), "fresh");
        assertTrue(fresh.log().contains("tree cache: miss"), fresh.log());
        assertEquals(Sha256.of(fresh.image().file()), Sha256.of(raw.image().file()));
        assertEquals(keptSha256, Sha256.of(keptDisk));
        assertNotEquals(Files.getAttribute(keptDisk, "unix:ino"), Files.getAttribute(raw.image().file(), "unix:ino"),
                "the build's disk is a copy, not a link to the entry");
    }

    /** qcow2 reads the disk once and hashes it in that read: the kept disk is read where it is, not copied. */
    @Test
    void aQcow2IsWrittenFromTheKeptDiskWhereItIsKeptAndMakesTheSameImage() throws IOException {
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);
        build(builder, request("raw", "hello\n"), "raw");
        Path keptDisk = keptDisk(work.resolve("trees"));
        String keptSha256 = Sha256.of(keptDisk);

        Built qcow2 = build(builder, request("qcow2", "hello\n"), "qcow2");

        assertTrue(qcow2.log().contains("the disk made of the same tree"), qcow2.log());
        assertTrue(qcow2.log().contains("is read where it is kept, and hashed in that read"), qcow2.log());
        assertTrue(qcow2.log().indexOf("qcow2 image written and checked") < qcow2.log().indexOf(
                "tree cache: the disk, read where it is kept, checks out (sha256 " + keptSha256 + ")"), qcow2.log());
        assertFalse(Files.exists(work.resolve("scratch/qcow2").resolve(TreeCache.DISK)), "no copy of the disk");
        assertFalse(qcow2.log().contains("assembling the disk"), qcow2.log());
        Built fresh = build(builder(work.resolve("no-trees"), PLENTY), request("qcow2", "hello\n"), "fresh");
        assertTrue(fresh.log().contains("tree cache: miss"), fresh.log());
        assertEquals(Sha256.of(fresh.image().file()), Sha256.of(qcow2.image().file()));
        assertEquals(keptSha256, Sha256.of(keptDisk), "read, never written");
        assertEquals(1, disks(work.resolve("trees")));
    }

    /** The entry is the worker's own file: a link in its place is not followed, and the entry goes. */
    @Test
    void aKeptDiskReplacedByALinkIsNotReadAndTheDiskIsAssembledAgain() throws IOException {
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);
        build(builder, request("raw", "hello\n"), "raw");
        Path keptDisk = keptDisk(work.resolve("trees"));
        // The same bytes, elsewhere: only the link is wrong, which is enough.
        Path elsewhere = Files.copy(keptDisk, work.resolve("elsewhere.raw"));
        Files.delete(keptDisk);
        Files.createSymbolicLink(keptDisk, elsewhere);

        Built qcow2 = build(builder, request("qcow2", "hello\n"), "qcow2");

        assertFalse(qcow2.log().contains("is read where it is kept"), qcow2.log());
        assertTrue(qcow2.log().contains("has no disk"), "the entry discarded: " + qcow2.log());
        assertTrue(qcow2.log().contains("assembling the disk"), qcow2.log());
        assertTrue(Files.isRegularFile(keptDisk(work.resolve("trees")), java.nio.file.LinkOption.NOFOLLOW_LINKS),
                "kept again by the build that assembled it");
    }

    @Test
    void aTamperedDiskIsDiscardedAndTheDiskAssembledFromTheTreeAgain() throws IOException {
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);
        build(builder, request("qcow2", "hello\n"), "first");
        Path keptDisk = keptDisk(work.resolve("trees"));
        // One byte of the kept disk changed, where the root file system's data lies (past the ESP).
        try (var disk = java.nio.channels.FileChannel.open(keptDisk, java.nio.file.StandardOpenOption.WRITE)) {
            disk.write(java.nio.ByteBuffer.wrap(new byte[] {0x42}), disk.size() / 2);
        }

        Built raw = build(builder, request("raw", "hello\n"), "raw");

        assertTrue(raw.log().contains("is not what was stored"), raw.log());
        assertTrue(raw.log().contains("the base with the same layers"), "started from the tree: " + raw.log());
        assertTrue(raw.log().contains("assembling the disk"), raw.log());
        ImageInspector inside = ImageInspector.open(raw.image(), work);
        assertEquals("hello\n", inside.cat("/etc/motd"));
        inside.fsck();
        assertEquals(1, disks(work.resolve("trees")), "kept again by the build that assembled it");
        assertTrue(build(builder, request("qcow2", "hello\n"), "again").log()
                .contains("the disk made of the same tree"));
    }

    /** qcow2 reads the disk in place and hashes it in that read; vhd writes from a copy hashed beside it. */
    @ParameterizedTest
    @ValueSource(strings = {"qcow2", "vhd"})
    void anImageWrittenFromATamperedDiskItHashedIsDroppedAndMadeFromTheTree(String format) throws IOException {
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);
        build(builder, request("raw", "hello\n"), "first");
        try (var disk = java.nio.channels.FileChannel.open(keptDisk(work.resolve("trees")),
                java.nio.file.StandardOpenOption.WRITE)) {
            disk.write(java.nio.ByteBuffer.wrap(new byte[] {0x42}), disk.size() / 2);
        }

        Built image = build(builder, request(format, "hello\n"), format);

        assertEquals(format.equals("qcow2"), image.log().contains("is read where it is kept, and hashed in that read"),
                image.log());
        assertTrue(image.log().indexOf(format + " image written and checked") < image.log().indexOf(
                "is not what was stored"), "written from the disk it hashed: " + image.log());
        assertTrue(image.log().contains("assembling the disk"), image.log());
        Built fresh = build(builder(work.resolve("no-trees"), PLENTY), request(format, "hello\n"), "fresh");
        assertEquals(Sha256.of(fresh.image().file()), Sha256.of(image.image().file()),
                "the image of the disk assembled again, not of the tampered disk");
    }

    @Test
    void aDiskKeepsOnlyABootTestItPassedAndOnlyForTheBytesThatPassedIt() throws IOException {
        TreeCache trees = new TreeCache(work.resolve("trees"), PLENTY);
        Path scratch = Files.createDirectories(work.resolve("scratch"));
        Path disk = Files.write(scratch.resolve("disk.raw"), new byte[] {1, 2, 3});
        Path sbom = Files.writeString(scratch.resolve("sbom.cdx.json"), "{}");
        var passed = new dev.byoos.contract.BuildCompleted.BootTest(BootSmokeTest.PASSED, "accelerator=tcg", 21000);
        trees.storeDisk("a".repeat(64), disk, sbom, true, passed, new BuildLog());
        trees.storeDisk("b".repeat(64), disk, sbom, true, BootSmokeTest.skipped("format ova is not boot-tested"),
                new BuildLog());

        assertEquals(java.util.Optional.of(passed), checkoutDisk(trees, "a").passedBootTest());
        TreeCache.Disk unbooted = checkoutDisk(trees, "b");
        assertEquals(java.util.Optional.empty(), unbooted.passedBootTest());

        // A test of other bytes, or one that did not pass, is not recorded; the test of these bytes is.
        trees.recordPassedBootTest("b".repeat(64), "0".repeat(64), passed, new BuildLog());
        trees.recordPassedBootTest("b".repeat(64), unbooted.sha256(), BootSmokeTest.skipped("off"), new BuildLog());
        assertEquals(java.util.Optional.empty(), checkoutDisk(trees, "b").passedBootTest());
        trees.recordPassedBootTest("b".repeat(64), unbooted.sha256(), passed, new BuildLog());
        assertEquals(java.util.Optional.of(passed), checkoutDisk(trees, "b").passedBootTest());
    }

    @Test
    void aDiskReadInPlaceIsUsedOnlyWhenEveryByteReadIsTheDiskRecorded() throws IOException {
        TreeCache trees = new TreeCache(work.resolve("trees"), PLENTY);
        Path scratch = Files.createDirectories(work.resolve("scratch"));
        Path disk = Files.write(scratch.resolve("disk.raw"), new byte[] {1, 2, 3});
        Path sbom = Files.writeString(scratch.resolve("sbom.cdx.json"), "{}");
        trees.storeDisk("c".repeat(64), disk, sbom, false, BootSmokeTest.skipped("no kernel"), new BuildLog());

        TreeCache.Disk whole = checkoutDisk(trees, "c", true);
        whole.readDigest().orElseThrow().update(new byte[] {1, 2, 3}, 0, 3);
        assertTrue(whole.checksOut(new BuildLog()));
        assertEquals(keptDisk(work.resolve("trees")), whole.raw(), "the entry's own file, not a copy");
        assertEquals(java.util.Optional.empty(), checkoutDisk(trees, "c", false).readDigest(), "a copy has none");

        // A read that stopped early verifies nothing: not used, and the entry stays.
        TreeCache.Disk part = checkoutDisk(trees, "c", true);
        part.readDigest().orElseThrow().update(new byte[] {1, 2}, 0, 2);
        BuildLog partLog = new BuildLog();
        assertFalse(part.checksOut(partLog));
        assertTrue(partLog.toString().contains("not read to its end where it is kept (2 of 3 bytes)"), partLog.toString());

        // Bytes that are not the disk recorded: not used, and the entry goes.
        TreeCache.Disk other = checkoutDisk(trees, "c", true);
        other.readDigest().orElseThrow().update(new byte[] {1, 2, 4}, 0, 3);
        assertFalse(other.checksOut(new BuildLog()));
        assertTrue(trees.checkoutDisk("c".repeat(64), Files.createDirectories(work.resolve("after")),
                new dev.byoos.worker.builder.process.CommandRunner(new BuildLog(), new BuildCancellation()),
                new BuildLog(), kept -> true).isEmpty());
    }

    private TreeCache.Disk checkoutDisk(TreeCache trees, String keyLetter) throws IOException {
        return checkoutDisk(trees, keyLetter, false);
    }

    private TreeCache.Disk checkoutDisk(TreeCache trees, String keyLetter, boolean inPlace) throws IOException {
        Path into = Files.createDirectories(work.resolve("checkout-" + java.util.UUID.randomUUID()));
        return trees.checkoutDisk(keyLetter.repeat(64), into,
                new dev.byoos.worker.builder.process.CommandRunner(new BuildLog(), new BuildCancellation()),
                new BuildLog(), kept -> inPlace).orElseThrow();
    }

    @ParameterizedTest
    @ValueSource(strings = {"qcow2", "vhd", "ova", "gcp-tar"})
    void everyDiskFormatWrittenFromTheKeptDiskHasTheBytesOfOneBuiltFromNothing(String format) throws IOException {
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);
        build(builder, request("raw", "hello\n"), "keeps");
        Path keptDisk = keptDisk(work.resolve("trees"));
        String keptSha256 = Sha256.of(keptDisk);

        Built fromDisk = build(builder, request(format, "hello\n"), "from-disk");

        assertTrue(fromDisk.log().contains("the disk made of the same tree"), fromDisk.log());
        Built fresh = build(builder(work.resolve("no-trees"), PLENTY), request(format, "hello\n"), "fresh");
        assertTrue(fresh.log().contains("tree cache: miss"), fresh.log());
        assertEquals(Sha256.of(fresh.image().file()), Sha256.of(fromDisk.image().file()));
        // gcp-tar grows its copy of the disk to whole GiB: the kept one is as it was.
        assertEquals(keptSha256, Sha256.of(keptDisk));
    }

    @Test
    void aDiskAFormatGrewIsNotKept() throws IOException {
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);

        // GCE takes whole GiB: the disk is grown before it is packed.
        Built gcp = build(builder, request("gcp-tar", "hello\n"), "gcp");

        assertFalse(gcp.log().contains("kept the disk"), gcp.log());
        assertEquals(0, disks(work.resolve("trees")));
        Built raw = build(builder, request("raw", "hello\n"), "raw");
        assertTrue(raw.log().contains("assembling the disk"), raw.log());
        assertEquals(1, disks(work.resolve("trees")));
    }

    /** A spec whose pre script stamps the tree with the time it ran, and a motd. */
    private static BuildRequested withPreScript(String motd) {
        BuildRequested files = request("raw", motd);
        return new BuildRequested(files.build(), files.base(), files.files(), BuildRequested.STANDARD, List.of(),
                List.of(), java.util.Map.of(), List.of(), List.of(),
                List.of(new BuildRequested.Script("stamp", "pre", "date +%s%N > /etc/pre-stamp\n", 30)));
    }

    @Test
    void aChangeToALaterLayerStartsFromTheKeptInstalledTreeWithoutRunningThePreScriptAgain() throws IOException {
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);
        Built first = build(builder, withPreScript("hello\n"), "first");
        assertTrue(first.log().contains("tree cache: kept the tree after its installing layers"), first.log());
        String stamp = ImageInspector.open(first.image(), work.resolve("scratch/first")).cat("/etc/pre-stamp");

        Built changed = build(builder, withPreScript("goodbye\n"), "changed");

        assertTrue(changed.log().contains("tree cache: hit"), changed.log());
        assertFalse(changed.log().contains("[base "), "no base was prepared: " + changed.log());
        assertFalse(changed.log().contains("$ setsid"), "the pre script did not run again: " + changed.log());
        ImageInspector inside = ImageInspector.open(changed.image(), work.resolve("scratch/changed"));
        assertEquals(stamp, inside.cat("/etc/pre-stamp"), "the installed tree is the one the first build kept");
        assertEquals("goodbye\n", inside.cat("/etc/motd"));
        assertTrue(Files.readString(changed.image().sbom()).contains("/etc/motd"), "the SBOM lists the written file");
    }

    @Test
    void onlyKubernetesComponentsAreNotWorthKeepingATreeFor() throws IOException {
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);

        Built built = build(builder, request("raw", "hello\n"), "plain");

        assertFalse(built.log().contains("after its installing layers"), built.log());
        assertEquals(1, entries(work.resolve("trees")), "the customized tree only");
    }

    @Test
    void aChangedLayerIsAnotherTree() throws IOException {
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);
        build(builder, request("raw", "hello\n"), "first");

        Built changed = build(builder, request("raw", "goodbye\n"), "changed");

        assertTrue(changed.log().contains("tree cache: miss"), changed.log());
        assertEquals("goodbye\n", ImageInspector.open(changed.image(), work).cat("/etc/motd"));
        assertEquals(2, entries(work.resolve("trees")));
    }

    @Test
    void theLeastRecentlyUsedTreesAreEvictedToStayWithinTheBound() throws IOException {
        NativeBuilder roomy = builder(work.resolve("measure"), PLENTY);
        build(roomy, request("raw", "one\n"), "measure");
        long oneTree = treeBytes(work.resolve("measure"));
        NativeBuilder tight = builder(work.resolve("trees"), oneTree + oneTree / 2);
        build(tight, request("raw", "one\n"), "one");

        build(tight, request("raw", "two\n"), "two");

        assertEquals(1, entries(work.resolve("trees")));
        assertEquals(0, disks(work.resolve("trees")), "a disk is larger than the bound: none is kept");
        assertTrue(build(tight, request("tgz", "two\n"), "two-again").log().contains("tree cache: hit"));
        assertTrue(build(tight, request("tgz", "one\n"), "one-again").log().contains("tree cache: miss"));
    }

    @Test
    void anEntryWhoseRecordCannotBeReadIsEvictedByTheNextStoreInsteadOfHeldForever() throws IOException {
        Path trees = work.resolve("trees");
        NativeBuilder roomy = builder(trees, PLENTY);
        build(roomy, request("tgz", "one\n"), "one");
        Path unreadable = cachedTree(trees).getParent();
        // Say a disk that filled up mid-write under an older release, or a hand edit: no lookup can use it.
        Files.writeString(unreadable.resolve(TreeCache.RECORD), "{\"baseName\":");

        build(roomy, request("tgz", "two\n"), "two");

        assertFalse(Files.exists(unreadable), "an entry no lookup can use is kept, though the bound has room for it");
        assertEquals(1, entries(trees));
        assertTrue(build(roomy, request("tgz", "two\n"), "two-again").log().contains("tree cache: hit"));
    }

    @Test
    void aPartialEntryWhoseRecordIsBeingWrittenIsNotEvicted() throws IOException {
        Path trees = Files.createDirectories(work.resolve("trees"));
        // Another build half way through writing its record, before the rename that completes its entry.
        Path partial = Files.createDirectories(trees.resolve("." + "ab".repeat(32) + ".partial-" + UUID.randomUUID()));
        Files.writeString(partial.resolve(TreeCache.RECORD), "{\"baseName\":");

        build(builder(trees, PLENTY), request("tgz", "two\n"), "two");

        assertTrue(Files.exists(partial.resolve(TreeCache.RECORD)), "another build's entry, removed while it was made");
    }

    @Test
    void aFailedBuildKeepsNoTree() throws IOException {
        BuildRequested failing = NativeBuilderTest.request("raw", TestBases.BUSYBOX,
                List.of(new BuildRequested.FileCustomization("/etc/motd", "x", "0644", "nobody-known:root")));
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);

        BuildException failure = org.junit.jupiter.api.Assertions.assertThrows(BuildException.class,
                () -> build(builder, failing, "failing"));

        assertEquals("UNKNOWN_OWNER", failure.code());
        assertEquals(0, entries(work.resolve("trees")));
    }

    @Test
    void aTamperedTreeIsDiscardedAndMadeAgain() throws IOException {
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);
        build(builder, request("qcow2", "hello\n"), "first");
        Files.writeString(cachedTree(work.resolve("trees")).resolve("etc/motd"), "tampered\n");

        Built tarball = build(builder, request("tgz", "hello\n"), "tgz");

        assertTrue(tarball.log().contains("discarded, its tree is not what was stored"), tarball.log());
        assertTrue(tarball.log().contains("tree cache: miss"), tarball.log());
        assertEquals("hello\n", fileInTarball(tarball.image().file(), "./etc/motd"));
        assertTrue(build(builder, request("tgz", "hello\n"), "again").log().contains("tree cache: hit"),
                "kept again by the rebuild");
    }

    @Test
    void aReusedTreeSharesNoFileWithTheCache() throws IOException {
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);
        build(builder, request("qcow2", "hello\n"), "first");

        Built tarball = build(builder, request("tgz", "hello\n"), "tgz");

        assertTrue(tarball.log().contains("tree cache: hit"), tarball.log());
        Path cached = cachedTree(work.resolve("trees")).resolve("etc/motd");
        Path used = work.resolve("scratch/tgz").resolve(TreeCache.TREE).resolve("etc/motd");
        assertNotEquals(Files.getAttribute(cached, "unix:ino"), Files.getAttribute(used, "unix:ino"),
                "the build's tree is a copy, not links to the entry");
    }

    @Test
    void anInstalledTreeOfABuildThatFailsAfterItsInstallingLayersIsNotKept() throws IOException {
        BuildRequested installs = withPreScript("hello\n");
        BuildRequested failing = new BuildRequested(installs.build(), installs.base(),
                List.of(new BuildRequested.FileCustomization("/etc/motd", "x", "0644", "nobody-known:root")),
                BuildRequested.STANDARD, List.of(), List.of(), java.util.Map.of(), List.of(), List.of(),
                installs.scripts());
        NativeBuilder builder = builder(work.resolve("trees"), PLENTY);

        BuildException failure = org.junit.jupiter.api.Assertions.assertThrows(BuildException.class,
                () -> build(builder, failing, "failing"));

        assertEquals("UNKNOWN_OWNER", failure.code());
        assertEquals(0, entries(work.resolve("trees")), "nothing kept, not even the tree after the pre script");
        try (Stream<Path> children = Files.list(work.resolve("trees"))) {
            assertTrue(children.noneMatch(Files::isDirectory), "and no partial entry left");
        }
    }

    @Test
    void aBuildLeftToItsCallerKeepsNothingUntilKeptAndRemovesWhatItSetAsideWhenClosedUnkept() throws IOException {
        Path trees = work.resolve("trees");
        Builder.BuiltImage image = builder(trees, PLENTY).build(withPreScript("hello\n"),
                Files.createDirectories(work.resolve("scratch/kept")), new BuildLog(), new BuildCancellation(),
                written -> {
                });

        assertEquals(0, entries(trees), "nothing usable before the caller keeps it");
        assertEquals(0, disks(trees));
        assertEquals(1, partials(trees), "the tree after the pre script, set aside");
        BuildLog keepingLog = new BuildLog();
        try (Builder.Keeping keeping = image.keeping()) {
            keeping.keep(keepingLog);
        }
        assertEquals(2, entries(trees), "the customized tree and the tree after the pre script: " + keepingLog);
        assertEquals(1, disks(trees));
        assertEquals(0, partials(trees));

        Path unkept = work.resolve("trees-unkept");
        builder(unkept, PLENTY).build(withPreScript("hello\n"), Files.createDirectories(work.resolve("scratch/unkept")),
                new BuildLog(), new BuildCancellation(), written -> {
                }).keeping().close();

        assertEquals(0, entries(unkept));
        assertEquals(0, disks(unkept));
        assertEquals(0, partials(unkept), "what was set aside is removed");
    }

    private static long partials(Path cache) throws IOException {
        try (Stream<Path> children = Files.list(cache)) {
            return children.filter(child -> child.getFileName().toString().contains(".partial-")).count();
        }
    }

    @Test
    void theTreeKeyIgnoresTheTargetButTheImageKeyDoesNot() {
        var base = new dev.byoos.contract.BuildCompleted.Input("base:local/x", "a".repeat(64), null);
        BuildInputs qcow2 = BuildInputs.of(request("qcow2", "hello\n"), List.of(base), java.util.Optional.empty(), "test-1", true);
        BuildInputs raw = BuildInputs.of(request("raw", "hello\n"), List.of(base), java.util.Optional.empty(), "test-1", true);
        BuildInputs otherMotd = BuildInputs.of(request("raw", "bye\n"), List.of(base), java.util.Optional.empty(), "test-1", true);

        assertEquals(qcow2.treeKey(), raw.treeKey());
        assertNotEquals(qcow2.imageKey(), raw.imageKey());
        assertNotEquals(raw.treeKey(), otherMotd.treeKey());
    }

    private static Path cachedTree(Path cache) throws IOException {
        try (Stream<Path> children = Files.list(cache)) {
            return children.filter(child -> Files.isRegularFile(child.resolve(TreeCache.RECORD)))
                    .filter(child -> Files.isDirectory(child.resolve(TreeCache.TREE))).findFirst()
                    .orElseThrow().resolve(TreeCache.TREE);
        }
    }

    /** @return how many trees the cache holds */
    private static long entries(Path cache) throws IOException {
        return entriesHolding(cache, TreeCache.TREE);
    }

    /** @return how many disks the cache holds */
    private static long disks(Path cache) throws IOException {
        return entriesHolding(cache, TreeCache.DISK);
    }

    private static long entriesHolding(Path cache, String file) throws IOException {
        if (!Files.isDirectory(cache)) {
            return 0;
        }
        try (Stream<Path> children = Files.list(cache)) {
            return children.filter(child -> Files.isRegularFile(child.resolve(TreeCache.RECORD)))
                    .filter(child -> Files.exists(child.resolve(file))).count();
        }
    }

    private static Path keptDisk(Path cache) throws IOException {
        try (Stream<Path> children = Files.list(cache)) {
            return children.map(child -> child.resolve(TreeCache.DISK)).filter(Files::isRegularFile).findFirst()
                    .orElseThrow();
        }
    }

    private static String fileInTarball(Path tarball, String member) throws IOException {
        Process tar = new ProcessBuilder("tar", "-xzOf", tarball.toString(), member).redirectErrorStream(true).start();
        String content = new String(tar.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        try {
            assertEquals(0, tar.waitFor(), content);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return content;
    }

    private static long treeBytes(Path cache) throws IOException {
        try (Stream<Path> files = Files.walk(cache)) {
            return files.filter(path -> Files.isRegularFile(path, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .filter(path -> path.toString().contains("/" + TreeCache.TREE + "/"))
                    .mapToLong(path -> path.toFile().length()).sum();
        }
    }
}
