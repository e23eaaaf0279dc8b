package dev.byoos.worker.builder.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import dev.byoos.contract.EventJson;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.BuildLog;
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
 * rename: nothing is copied), and a build that reuses one gets a hard-linked copy ({@code cp -al}):
 * cheap, and safe because nothing writes into a tree once its layers are applied, the formats only
 * read it.</li>
 * <li><b>installed</b> ({@link BuildInputs#installKey()}): the base after the layers that run
 * programs in it (pre scripts, Kubernetes components, packages), with what the SBOM needs to know of
 * them. A build whose later layers changed (files, users, sysctl, …) starts from here and applies
 * only those. Copied in and out ({@code cp -a --reflink=auto}): the later layers write in place.</li>
 * </ul>
 * The cache must be on the scratch directory's filesystem; where it is not, nothing is cached and
 * builds say so. Bounded like {@link ImageCache}: least recently used entries go first.
 */
public final class TreeCache {

    static final String RECORD = "tree.json";
    static final String TREE = "rootfs";
    static final String SBOM = "sbom.cdx.json";
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(10);
    private static final Logger LOG = Logger.getLogger(TreeCache.class);

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
     * @param builtAt      when the build that made it ran
     * @param writtenPaths the image paths the builder wrote so far (the SBOM lists them)
     * @param kubernetes   the Kubernetes components installed so far (the SBOM lists them)
     */
    record Record(String baseName, long bytes, String builtAt, List<String> writtenPaths,
            List<KubernetesComponentsLayer.Installed> kubernetes) {
        Record {
            writtenPaths = writtenPaths == null ? List.of() : List.copyOf(writtenPaths);
            kubernetes = kubernetes == null ? List.of() : List.copyOf(kubernetes);
        }
    }

    /** A reused customized tree: its hard-linked copy in the build's directory, its SBOM linked beside it. */
    public record Hit(RootFilesystem rootfs, Path sbom, String builtAt) {
    }

    /** A reused installed tree: a writable copy in the build's directory, and the components in it. */
    public record Installed(RootFilesystem rootfs, List<KubernetesComponentsLayer.Installed> kubernetes,
            String builtAt) {
    }

    /**
     * @return the customized tree for {@code key}, hard-linked into {@code workDir/rootfs}, with its
     *         SBOM in {@code workDir}; empty on a miss (nothing is left in {@code workDir} then)
     */
    public Optional<Hit> checkout(String key, Path workDir, CommandRunner commands) {
        Optional<Found> found = checkoutTree(key, workDir, commands, true);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        Path sbom = workDir.resolve(SBOM);
        try {
            Files.createLink(sbom, entries.entry(key).resolve(SBOM));
        } catch (IOException e) {
            LOG.infof("tree cache: %s not reused, its SBOM is gone: %s", key, e.getMessage());
            entries.deleteQuietly(found.get().rootfs().root());
            return Optional.empty();
        }
        return Optional.of(new Hit(found.get().rootfs(), sbom, found.get().record().builtAt()));
    }

    /**
     * @return the installed tree for {@code key}, copied into {@code workDir/rootfs} for the build
     *         to go on writing; empty on a miss (nothing is left in {@code workDir} then)
     */
    public Optional<Installed> checkoutInstalled(String key, Path workDir, CommandRunner commands) {
        return checkoutTree(key, workDir, commands, false)
                .map(found -> new Installed(found.rootfs(), found.record().kubernetes(), found.record().builtAt()));
    }

    private record Found(RootFilesystem rootfs, Record record) {
    }

    /** @param hardLinks link the files (a tree only read) rather than copy them (a tree written on) */
    private Optional<Found> checkoutTree(String key, Path workDir, CommandRunner commands, boolean hardLinks) {
        if (!enabled()) {
            return Optional.empty();
        }
        Optional<Record> recorded = entries.readRecord(key, Record.class);
        if (recorded.isEmpty()) {
            return Optional.empty();
        }
        Record record = recorded.get();
        Path root = workDir.resolve(TREE);
        Path cached = entries.entry(key).resolve(TREE);
        try {
            if (hardLinks) {
                commands.run(COPY_TIMEOUT, workDir, null, "cp", "-a", "-l", "--", cached.toString(), root.toString());
            } else {
                Files.createDirectories(root);
                commands.run(COPY_TIMEOUT, workDir, null, "cp", "-a", "--reflink=auto", "--", cached + "/.",
                        root.toString());
            }
            entries.touch(key);
        } catch (BuildException | IOException e) {
            // Evicted while we copied it, or not on the scratch filesystem: a miss, leaving nothing half-made.
            LOG.infof("tree cache: %s not reused: %s", key, e.getMessage());
            entries.deleteQuietly(root);
            return Optional.empty();
        }
        return Optional.of(new Found(RootFilesystem.existing(root, record.baseName(), record.writtenPaths()), record));
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
            long bytes = contentBytes(rootfs.root());
            Files.move(rootfs.root(), partial.resolve(TREE), StandardCopyOption.ATOMIC_MOVE);
            Files.createLink(partial.resolve(SBOM), sbom);
            publish(partial, key, new Record(rootfs.baseName(), bytes, Instant.now().toString(), List.of(), List.of()));
            log.line("tree cache: kept the customized tree as " + key);
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
     * Copies a tree the build goes on with (after its installing layers) into the cache under
     * {@code key}, with what the SBOM will need of it, then evicts. Never fails the build.
     */
    public void storeInstalled(String key, RootFilesystem rootfs, List<KubernetesComponentsLayer.Installed> kubernetes,
            CommandRunner commands, BuildLog log) {
        if (!enabled()) {
            return;
        }
        Path partial = null;
        try {
            partial = entries.newPartial(key);
            Path tree = Files.createDirectories(partial.resolve(TREE));
            commands.run(COPY_TIMEOUT, partial, null, "cp", "-a", "--reflink=auto", "--", rootfs.root() + "/.",
                    tree.toString());
            publish(partial, key, new Record(rootfs.baseName(), contentBytes(tree), Instant.now().toString(),
                    rootfs.writtenPaths(), kubernetes));
            log.line("tree cache: kept the tree after its installing layers as " + key);
        } catch (BuildException | IOException | UncheckedIOException e) {
            log.line("tree cache: installed tree not kept: " + e.getMessage());
        } finally {
            if (partial != null) {
                entries.deleteQuietly(partial);
            }
        }
        evict();
    }

    private void publish(Path partial, String key, Record record) throws IOException {
        Files.writeString(partial.resolve(RECORD), EventJson.write(record));
        entries.publish(partial, key);
    }

    private void evict() {
        entries.evict(maxBytes, TreeCache::recordedBytes);
    }

    private static long recordedBytes(Path entry) {
        try {
            return EventJson.read(Files.readString(entry.resolve(RECORD)), Record.class).bytes();
        } catch (IOException | EventJson.MalformedEventException e) {
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
