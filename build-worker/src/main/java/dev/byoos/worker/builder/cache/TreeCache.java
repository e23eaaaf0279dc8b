package dev.byoos.worker.builder.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.EventJson;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.ReadDigest;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.builder.disk.BootSmokeTest;
import dev.byoos.worker.builder.kubernetes.KubernetesComponentsLayer;
import dev.byoos.worker.builder.process.CommandRunner;
import dev.byoos.worker.builder.rootfs.RootFilesystem;

/**
 * Root filesystem trees by key, at two points of a build:
 * <ul>
 * <li><b>customized</b> ({@link BuildInputs#treeKey()}): the base with every layer applied, and its
 * SBOM. A build whose image is not cached but whose tree is (the same spec for another target or
 * format, or an image the image cache has evicted) starts from here: no base copy, no layers,
 * straight to the disk. A build that made its tree moves it here when it has finished with it (a
 * rename: nothing is copied).</li>
 * <li><b>disk</b> (derived from {@link BuildInputs#treeKey()}): the raw GPT disk made of a customized
 * tree, the tree's SBOM, and the boot test the disk passed, if it was boot-tested. The same tree
 * always makes the same disk (reproducible images), so a format that is written from the disk alone
 * (qcow2, raw, VHD, OVA, GCE's tar) starts from here: no tree copy, no disk assembly, and no second
 * boot of bytes that have booted already. A build keeps the disk it assembled (a hard link) once it
 * has succeeded, unless its format changed the disk (grown for Azure or GCE).</li>
 * <li><b>installed</b> ({@link BuildInputs#installKey()}): the base after the layers that run
 * programs in it (pre scripts, Kubernetes components, packages), with what the SBOM needs to know of
 * them. A build whose later layers changed (files, users, sysctl, …) starts from here and applies
 * only those. It is copied aside right after those layers (the later ones write in place) but
 * published only when the whole build has succeeded ({@link Pending}).</li>
 * </ul>
 * Every entry records the {@link Sha256#ofTree} digest of its tree and the sha256 of its SBOM. A
 * build reusing one gets its own copy ({@code cp -a --reflink=auto}: no inode is shared with the
 * entry, so nothing the build does reaches it) and uses it only when the copy's digest is the
 * recorded one; otherwise the entry is discarded and the tree is made again. The digest costs one
 * read of the tree when it is stored and one when it is reused, next to minutes of base and layers.
 * One exception: a kept disk is read where it is kept by a format that hashes it in its own read
 * ({@link Disk}); what that format made is used only when those very bytes were the disk recorded.
 * The cache must be on the scratch directory's filesystem; where it is not, nothing is cached and
 * builds say so. Bounded like {@link ImageCache}: least recently used entries go first.
 */
public final class TreeCache {

    static final String RECORD = "tree.json";
    static final String TREE = "rootfs";
    static final String SBOM = "sbom.cdx.json";
    static final String DISK = "disk.raw";
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(10);
    private static final Logger LOG = Logger.getLogger(TreeCache.class);
    /** Hashes reused disks' copies while their builds write images from them (one read each, ≈ 1 s per GB). */
    private static final ExecutorService DISK_CHECKS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "tree-cache-disk-check");
        thread.setDaemon(true);
        return thread;
    });

    private final CacheDirectory entries;
    private final long maxBytes;

    /** @param maxBytes how much the trees may take on disk; 0 turns the cache off */
    public TreeCache(Path directory, long maxBytes) {
        this.entries = new CacheDirectory(directory, RECORD, "tree cache");
        this.maxBytes = maxBytes;
    }

    /** A cache that keeps nothing. */
    public static TreeCache disabled() {
        return new TreeCache(Path.of("."), 0);
    }

    public boolean enabled() {
        return maxBytes > 0;
    }

    /**
     * @param bytes        the tree's file content, for eviction
     * @param treeSha256   the tree's {@link Sha256#ofTree} digest
     * @param sbomSha256   the SBOM's sha256; null for an installed tree, which has none
     * @param builtAt      when the build that made it ran
     * @param writtenPaths the image paths the builder wrote so far (the SBOM lists them)
     * @param kubernetes   the Kubernetes components installed so far (the SBOM lists them)
     */
    record Record(String baseName, long bytes, String treeSha256, String sbomSha256, String builtAt,
            List<String> writtenPaths, List<KubernetesComponentsLayer.Installed> kubernetes, KeptDisk disk) {
        Record {
            writtenPaths = writtenPaths == null ? List.of() : List.copyOf(writtenPaths);
            kubernetes = kubernetes == null ? List.of() : List.copyOf(kubernetes);
        }
    }

    /**
     * What a disk entry records of its disk (a tree entry records none).
     *
     * @param sha256         the disk file's sha256, holes read as zeros
     * @param bootable       whether the tree had a kernel, so the disk boots
     * @param passedBootTest the boot test the disk passed when it was made; null when it was not boot-tested
     */
    public record KeptDisk(String sha256, boolean bootable, BuildCompleted.BootTest passedBootTest) {
    }

    /**
     * A reused disk, with a copy of the tree's SBOM beside it (checked already), in one of two ways:
     * <ul>
     * <li><b>a copy</b> in the build's directory. The copy's sha256 is computed on a thread of its own
     * while the build goes on writing its image from the copy; the build uses that image, or boots the
     * copy, only once {@link #checksOut} said the copy is the disk recorded. What is used is what was
     * verified: the copy is the build's own, nothing else writes it.</li>
     * <li><b>read in place</b>, for a format that reads the disk once and hashes every byte it reads
     * ({@link #readDigest()}): no copy, no second read. The image is made of exactly the bytes
     * hashed, so it is used only once {@link #checksOut} found them to be the disk recorded, whatever
     * happened to the entry meanwhile. Nothing writes, boots or outputs the disk in this way. (It is
     * checked to be a regular file when checked out; something that could swap another kind of file
     * in before the format opens it, a pipe that blocks the open, would need to write the worker's
     * own cache directory.)</li>
     * </ul>
     */
    public final class Disk implements AutoCloseable {

        private final String key;
        private final String treeKey;
        private final Path raw;
        private final Path sbom;
        private final KeptDisk recorded;
        private final String builtAt;
        /** The copy's sha256, computed beside the build; null when the disk is read in place. */
        private final CompletableFuture<String> copySha256;
        /** What the format read of the disk in place, and its size then; null for a copy. */
        private final ReadDigest readInPlace;
        private final long sizeInPlace;
        private volatile boolean stopped;
        private Boolean checksOut;

        private Disk(String key, String treeKey, Path raw, Path sbom, KeptDisk recorded, String builtAt) {
            this.key = key;
            this.treeKey = treeKey;
            this.raw = raw;
            this.sbom = sbom;
            this.recorded = recorded;
            this.builtAt = builtAt;
            this.readInPlace = null;
            this.sizeInPlace = -1;
            // Read until the copy's end or until the build stops (close).
            this.copySha256 = CompletableFuture.supplyAsync(() -> Sha256.of(raw, () -> stopped), DISK_CHECKS);
        }

        /** @param kept the entry's own disk file, read in place */
        private Disk(String key, String treeKey, Path kept, long size, Path sbom, KeptDisk recorded, String builtAt) {
            this.key = key;
            this.treeKey = treeKey;
            this.raw = kept;
            this.sbom = sbom;
            this.recorded = recorded;
            this.builtAt = builtAt;
            this.readInPlace = new ReadDigest();
            this.sizeInPlace = size;
            this.copySha256 = null;
        }

        /** Stops hashing the copy when the build ended before it asked whether the copy checks out. */
        @Override
        public void close() {
            stopped = true;
        }

        /**
         * The copy in the build's directory ({@value #DISK}, holes kept), or the entry's own file when
         * the disk is read in place: then only to be read once, through {@link #readDigest()}.
         */
        public Path raw() {
            return raw;
        }

        /** Where the format puts every byte it reads of a disk read in place; empty for a copy. */
        public Optional<ReadDigest> readDigest() {
            return Optional.ofNullable(readInPlace);
        }

        /** The disk's recorded sha256 (holes read as zeros). */
        public String sha256() {
            return recorded.sha256();
        }

        public Path sbom() {
            return sbom;
        }

        public boolean bootable() {
            return recorded.bootable();
        }

        /** The boot test this same disk passed when it was made; empty when it was not boot-tested. */
        public Optional<BuildCompleted.BootTest> passedBootTest() {
            return Optional.ofNullable(recorded.passedBootTest());
        }

        public String builtAt() {
            return builtAt;
        }

        /**
         * Waits for the copy's sha256, or, for a disk read in place, takes the sha256 of what the
         * format read (called once the format is done with the disk). When it is not the recorded
         * one, the entry is discarded and the copies removed: the build must then drop whatever it
         * made from them and make the disk again. A copy that cannot be read is removed too, and a
         * disk read in place but not to its end is not used, the entry left as it is either way.
         *
         * @return whether what the build read is the disk recorded
         */
        public synchronized boolean checksOut(BuildLog log) {
            if (checksOut == null) {
                checksOut = readInPlace != null ? checkReadInPlace(log) : check(log);
                if (!checksOut) {
                    if (readInPlace == null) {
                        entries.deleteQuietly(raw);
                    }
                    entries.deleteQuietly(sbom);
                }
            }
            return checksOut;
        }

        private boolean checkReadInPlace(BuildLog log) {
            if (readInPlace.bytes() != sizeInPlace) {
                // The format stopped early (it failed), or read a file of another size than the one
                // checked out: nothing it made is of a verified disk. The entry is left as it is.
                log.line("tree cache: the disk of tree " + treeKey + " was not read to its end where it is kept ("
                        + readInPlace.bytes() + " of " + sizeInPlace + " bytes): not verified, not used");
                return false;
            }
            return isTheDiskRecorded(readInPlace.sha256(), "the disk, read where it is kept,", log);
        }

        private boolean check(BuildLog log) {
            String sha256;
            try {
                sha256 = copySha256.join();
            } catch (CompletionException | CancellationException e) {
                log.line("tree cache: the copy of the disk of tree " + treeKey + " could not be read: " + e.getMessage());
                return false;
            }
            return isTheDiskRecorded(sha256, "the copy of the disk", log);
        }

        /** @param read what was hashed, for the log: the copy, or the disk read in place */
        private boolean isTheDiskRecorded(String sha256, String read, BuildLog log) {
            if (!sha256.equals(recorded.sha256())) {
                discard(key, "the disk of tree " + treeKey + " is not what was stored (sha256 " + sha256 + ", recorded "
                        + recorded.sha256() + ")", log);
                return false;
            }
            log.line("tree cache: " + read + " checks out (sha256 " + sha256 + ")");
            return true;
        }
    }

    /** A reused customized tree: its copy in the build's directory, with a copy of its SBOM beside it. */
    public record Hit(RootFilesystem rootfs, Path sbom, String builtAt) {
    }

    /** A reused installed tree: a writable copy in the build's directory, and the components in it. */
    public record Installed(RootFilesystem rootfs, List<KubernetesComponentsLayer.Installed> kubernetes,
            String builtAt) {
    }

    /**
     * @return the customized tree for {@code key}, copied into {@code workDir/rootfs} and checked,
     *         with its SBOM in {@code workDir}; empty on a miss (nothing is left in {@code workDir} then)
     */
    public Optional<Hit> checkout(String key, Path workDir, CommandRunner commands, BuildLog log) {
        Optional<Found> found = checkoutTree(key, workDir, commands, log);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Path sbom = workDir.resolve(SBOM);
        try {
            String sbomSha256 = Sha256.copy(entries.entry(key).resolve(SBOM), sbom);
            if (!sbomSha256.equals(found.get().record().sbomSha256())) {
                discard(key, "its SBOM is not what was stored", log);
                entries.deleteQuietly(sbom);
                entries.deleteQuietly(found.get().rootfs().root());
                return Optional.empty();
            }
        } catch (IOException e) {
            LOG.infof("tree cache: %s not reused, its SBOM is gone: %s", key, e.getMessage());
            entries.deleteQuietly(sbom);
            entries.deleteQuietly(found.get().rootfs().root());
            return Optional.empty();
        }
        return Optional.of(new Hit(found.get().rootfs(), sbom, found.get().record().builtAt()));
    }

    /**
     * @return the installed tree for {@code key}, copied into {@code workDir/rootfs} and checked, for
     *         the build to go on writing; empty on a miss (nothing is left in {@code workDir} then)
     */
    public Optional<Installed> checkoutInstalled(String key, Path workDir, CommandRunner commands, BuildLog log) {
        return checkoutTree(key, workDir, commands, log)
                .map(found -> new Installed(found.rootfs(), found.record().kubernetes(), found.record().builtAt()));
    }

    private record Found(RootFilesystem rootfs, Record record) {
    }

    private Optional<Found> checkoutTree(String key, Path workDir, CommandRunner commands, BuildLog log) {
        if (!enabled()) {
            return Optional.empty();
        }
        Optional<Record> recorded = entries.readRecord(key, Record.class).filter(record -> record.disk() == null);
        if (recorded.isEmpty()) {
            return Optional.empty();
        }
        Record record = recorded.get();
        Path root = workDir.resolve(TREE);
        Path cached = entries.entry(key).resolve(TREE);
        try {
            Files.createDirectories(root);
            commands.run(COPY_TIMEOUT, workDir, null, "cp", "-a", "--reflink=auto", "--", cached + "/.",
                    root.toString());
            entries.touch(key);
        } catch (BuildException | IOException e) {
            // Evicted while we copied it: a miss, leaving nothing half-made.
            LOG.infof("tree cache: %s not reused: %s", key, e.getMessage());
            entries.deleteQuietly(root);
            return Optional.empty();
        }
        // The copy is checked, not the entry: what the build uses is what was verified.
        String copied = Sha256.ofTree(root);
        if (!copied.equals(record.treeSha256())) {
            discard(key, "its tree is not what was stored (sha256 " + copied + ", recorded " + record.treeSha256()
                    + ")", log);
            entries.deleteQuietly(root);
            return Optional.empty();
        }
        return Optional.of(new Found(RootFilesystem.existing(root, record.baseName(), record.writtenPaths()), record));
    }

    /** The key of the disk made of the customized tree {@code treeKey}: an entry of its own, beside the tree's. */
    static String diskKey(String treeKey) {
        return Sha256.of("byoos disk\n" + treeKey);
    }

    /**
     * @param readInPlace whether the build may read this disk where it is kept (its format
     *                    {@linkplain dev.byoos.worker.builder.format.ImageFormat#hashesTheDiskAsItReadsIt()
     *                    hashes the disk as it reads it}, and the disk is not to boot) rather than copy it
     * @return the disk made of the customized tree {@code treeKey}, copied into {@code workDir}
     *         ({@value #DISK}, holes kept) or to be read in place, with the tree's SBOM copied into
     *         {@code workDir}; the SBOM checked against its recorded digest, the disk being checked
     *         ({@link Disk#checksOut}); empty on a miss, or when the SBOM does not check out (the entry
     *         is then discarded), and nothing is left in {@code workDir} then
     */
    public Optional<Disk> checkoutDisk(String treeKey, Path workDir, CommandRunner commands, BuildLog log,
            Predicate<KeptDisk> readInPlace) {
        if (!enabled()) {
            return Optional.empty();
        }
        String key = diskKey(treeKey);
        Optional<Record> recorded = entries.readRecord(key, Record.class).filter(record -> record.disk() != null);
        if (recorded.isEmpty()) {
            return Optional.empty();
        }
        Record record = recorded.get();
        boolean inPlace = readInPlace.test(record.disk());
        Path kept = entries.entry(key).resolve(DISK);
        Path raw = workDir.resolve(DISK);
        Path sbom = workDir.resolve(SBOM);
        long size = -1;
        try {
            if (inPlace) {
                if (!Files.isRegularFile(kept, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IOException(kept + " is not a regular file");
                }
                size = Files.size(kept);
            } else {
                // cp copies in the kernel and leaves holes as holes: a fraction of a second for a 1 GB disk.
                commands.run(COPY_TIMEOUT, workDir, null, "cp", "--sparse=always", "--reflink=auto", "--",
                        kept.toString(), raw.toString());
            }
            String sbomSha256 = Sha256.copy(entries.entry(key).resolve(SBOM), sbom);
            entries.touch(key);
            // The copies are checked, not the entry: what the build uses is what was verified (a disk
            // read in place is checked by the read that uses it).
            if (!sbomSha256.equals(record.sbomSha256())) {
                discard(key, "the SBOM of the disk of tree " + treeKey + " is not what was stored (sha256 "
                        + sbomSha256 + ", recorded " + record.sbomSha256() + ")", log);
                entries.deleteQuietly(raw);
                entries.deleteQuietly(sbom);
                return Optional.empty();
            }
        } catch (BuildException | IOException e) {
            // Evicted while we copied it, or its disk is not a regular file: a miss, leaving nothing half-made.
            LOG.infof("tree cache: the disk of %s not reused: %s", treeKey, e.getMessage());
            entries.deleteQuietly(raw);
            entries.deleteQuietly(sbom);
            discardWithoutDisk(key, treeKey, log);
            return Optional.empty();
        }
        if (inPlace) {
            log.line("tree cache: the disk of tree " + treeKey + " is read where it is kept, and hashed in that read");
            return Optional.of(new Disk(key, treeKey, kept, size, sbom, record.disk(), record.builtAt()));
        }
        return Optional.of(new Disk(key, treeKey, raw, sbom, record.disk(), record.builtAt()));
    }

    /**
     * Records the boot test a kept disk passed in a build that reused it, when its entry has none
     * (it was kept by a build that did not boot it): later builds then need not boot it either.
     * Only while the entry still records the disk that was tested ({@code diskSha256}). Never fails
     * the build.
     */
    public void recordPassedBootTest(String treeKey, String diskSha256, BuildCompleted.BootTest bootTest,
            BuildLog log) {
        if (!enabled() || !BootSmokeTest.PASSED.equals(bootTest.result())) {
            return;
        }
        String key = diskKey(treeKey);
        Optional<Record> recorded = entries.readRecord(key, Record.class).filter(record -> record.disk() != null)
                .filter(record -> record.disk().sha256().equals(diskSha256) && record.disk().passedBootTest() == null);
        if (recorded.isEmpty()) {
            return;
        }
        Record record = recorded.get();
        KeptDisk disk = new KeptDisk(diskSha256, record.disk().bootable(), bootTest);
        try {
            entries.replaceRecord(key, EventJson.write(new Record(record.baseName(), record.bytes(),
                    record.treeSha256(), record.sbomSha256(), record.builtAt(), record.writtenPaths(),
                    record.kubernetes(), disk)));
            log.line("tree cache: recorded the boot test the disk of tree " + treeKey + " passed");
        } catch (IOException | UncheckedIOException e) {
            log.line("tree cache: boot test not recorded with the disk: " + e.getMessage());
        }
        // Evicted while the record was replaced: the new record must not stand in for a disk that is gone.
        discardWithoutDisk(key, treeKey, log);
    }

    /**
     * Removes a disk entry whose record outlived its disk (evicted or discarded while its record was
     * replaced), so that the disk can be kept again instead of the record blocking the key.
     */
    private void discardWithoutDisk(String key, String treeKey, BuildLog log) {
        if (Files.exists(entries.record(key))
                && !Files.isRegularFile(entries.entry(key).resolve(DISK), LinkOption.NOFOLLOW_LINKS)) {
            discard(key, "the record of the disk of tree " + treeKey + " has no disk", log);
        }
    }

    /**
     * Keeps the raw disk a finished build assembled from the customized tree {@code treeKey} (a hard
     * link: nothing writes it any more), with the tree's SBOM and, when the disk passed its boot
     * test, that test; then evicts. A disk already kept stays as it is. Never fails the build: a disk
     * that cannot be kept is logged and left where it is.
     *
     * @param bootTest the build's boot test of this disk; kept only when it passed
     */
    public void storeDisk(String treeKey, Path raw, Path sbom, boolean bootable, BuildCompleted.BootTest bootTest,
            BuildLog log) {
        if (!enabled()) {
            return;
        }
        String key = diskKey(treeKey);
        Optional<Record> kept = entries.readRecord(key, Record.class).filter(record -> record.disk() != null);
        if (kept.isPresent()) {
            // Kept by a build that did not boot it: this build's pass counts if the bytes are the same.
            if (BootSmokeTest.PASSED.equals(bootTest.result()) && kept.get().disk().passedBootTest() == null) {
                recordPassedBootTest(treeKey, Sha256.of(raw), bootTest, log);
            }
            return;
        }
        Path partial = null;
        try {
            partial = entries.newPartial(key);
            Path disk = Files.createLink(partial.resolve(DISK), raw);
            Files.createLink(partial.resolve(SBOM), sbom);
            BuildCompleted.BootTest passed = BootSmokeTest.PASSED.equals(bootTest.result()) ? bootTest : null;
            // Hashed in the entry, so the digest is of what is kept.
            boolean published = publish(partial, key, new Record(null, Files.size(disk), null,
                    Sha256.of(partial.resolve(SBOM)), Instant.now().toString(), List.of(), List.of(),
                    new KeptDisk(Sha256.of(disk), bootable, passed)));
            log.line(published ? "tree cache: kept the disk made of tree " + treeKey
                    + (passed != null ? ", with the boot test it passed" : ", not boot-tested")
                    : "tree cache: the disk made of tree " + treeKey + " was kept by a concurrent build");
        } catch (IOException | UncheckedIOException e) {
            // A hard link across filesystems fails with "Invalid cross-device link": the cache belongs beside scratch.
            log.line("tree cache: disk not kept: " + e.getMessage());
        } finally {
            if (partial != null) {
                entries.deleteQuietly(partial);
            }
        }
        evict();
    }

    private void discard(String key, String why, BuildLog log) {
        log.line("tree cache: " + key + " discarded, " + why + "; making it again");
        entries.deleteQuietly(entries.entry(key));
    }

    /**
     * Moves a finished build's customized tree (and links its SBOM) into the cache under
     * {@code key}, then evicts. The build must not use the tree afterwards. Never fails the build: a
     * tree that cannot be kept is logged and left where it is, for the scratch clean-up.
     */
    public void store(String key, RootFilesystem rootfs, Path sbom, BuildLog log) {
        if (!enabled()) {
            return;
        }
        Path partial = null;
        try {
            partial = entries.newPartial(key);
            Path tree = partial.resolve(TREE);
            Files.move(rootfs.root(), tree, StandardCopyOption.ATOMIC_MOVE);
            Files.createLink(partial.resolve(SBOM), sbom);
            boolean published = publish(partial, key, new Record(rootfs.baseName(), contentBytes(tree),
                    Sha256.ofTree(tree), Sha256.of(partial.resolve(SBOM)), Instant.now().toString(), List.of(),
                    List.of(), null));
            log.line(published ? "tree cache: kept the customized tree as " + key
                    : "tree cache: the customized tree " + key + " was kept by a concurrent build");
        } catch (AtomicMoveNotSupportedException e) {
            log.line("tree cache: not kept, the cache directory is not on the scratch directory's filesystem");
        } catch (IOException | UncheckedIOException e) {
            log.line("tree cache: not kept: " + e.getMessage());
        } finally {
            if (partial != null) {
                entries.deleteQuietly(partial);
            }
        }
        evict();
    }

    /**
     * An installed tree copied into the cache, not usable until {@link #publish(BuildLog)}: a build that
     * fails, is cancelled or times out after copying it closes it unpublished, and it is removed.
     */
    public final class Pending implements AutoCloseable {

        private final String key;
        private final Path partial;
        private final Record record;

        private Pending(String key, Path partial, Record record) {
            this.key = key;
            this.partial = partial;
            this.record = record;
        }

        /** Makes the tree an entry; call it once the build has succeeded. Never fails the build. */
        public void publish(BuildLog log) {
            try {
                log.line(TreeCache.this.publish(partial, key, record)
                        ? "tree cache: kept the tree after its installing layers as " + key
                        : "tree cache: the tree after its installing layers " + key + " was kept by a concurrent build");
            } catch (IOException | UncheckedIOException e) {
                log.line("tree cache: installed tree not kept: " + e.getMessage());
            }
            close();
            evict();
        }

        /** Removes the copy unless it was published (then it is no longer there). */
        @Override
        public void close() {
            entries.deleteQuietly(partial);
        }
    }

    /**
     * Copies a tree the build goes on with (after its installing layers) aside, with what the SBOM
     * will need of it. Never fails the build.
     *
     * @return the copy, to publish when the build has succeeded; empty when there is none
     */
    public Optional<Pending> storeInstalled(String key, RootFilesystem rootfs,
            List<KubernetesComponentsLayer.Installed> kubernetes, CommandRunner commands, BuildLog log) {
        if (!enabled()) {
            return Optional.empty();
        }
        Path partial = null;
        try {
            partial = entries.newPartial(key);
            Path tree = Files.createDirectories(partial.resolve(TREE));
            commands.run(COPY_TIMEOUT, partial, null, "cp", "-a", "--reflink=auto", "--", rootfs.root() + "/.",
                    tree.toString());
            Record record = new Record(rootfs.baseName(), contentBytes(tree), Sha256.ofTree(tree), null,
                    Instant.now().toString(), rootfs.writtenPaths(), kubernetes, null);
            Pending pending = new Pending(key, partial, record);
            partial = null;
            return Optional.of(pending);
        } catch (BuildException | IOException | UncheckedIOException e) {
            log.line("tree cache: installed tree not kept: " + e.getMessage());
            return Optional.empty();
        } finally {
            if (partial != null) {
                entries.deleteQuietly(partial);
            }
        }
    }

    /** @return whether this partial entry became the entry (not when a concurrent store got there first) */
    private boolean publish(Path partial, String key, Record record) throws IOException {
        Files.writeString(partial.resolve(RECORD), EventJson.write(record));
        return entries.publish(partial, key);
    }

    private void evict() {
        entries.evict(maxBytes, TreeCache::recordedBytes);
    }

    private static long recordedBytes(Path entry) {
        try {
            return EventJson.read(Files.readString(entry.resolve(RECORD)), Record.class).bytes();
        } catch (CharacterCodingException | EventJson.MalformedEventException e) {
            return CacheDirectory.UNUSABLE;
        } catch (IOException e) {
            // Removed since it was listed, or a passing I/O error: counted as nothing, not evicted for it.
            return 0;
        }
    }

    private static long contentBytes(Path tree) throws IOException {
        try (Stream<Path> paths = Files.walk(tree)) {
            return paths.filter(path -> Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS))
                    .mapToLong(path -> path.toFile().length()).sum();
        }
    }
}
