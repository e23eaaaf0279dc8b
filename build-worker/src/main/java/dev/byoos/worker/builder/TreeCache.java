package dev.byoos.worker.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import dev.byoos.contract.EventJson;

/**
 * Customized root filesystems by tree key ({@link BuildInputs#treeKey()}): the base with every
 * layer applied, and its SBOM. A build whose image is not cached but whose tree is (the same spec
 * for another target or format, or an image the image cache has evicted) starts from here: no base
 * copy, no layers, straight to the disk.
 *
 * <p>An entry is {@code <key>/rootfs/}, {@code <key>/sbom.cdx.json} and {@value #RECORD}. A build that
 * made its tree moves it here when it has finished with it (a rename: nothing is copied), and a
 * build that reuses one gets a hard-linked copy ({@code cp -al}): cheap, and safe because nothing
 * writes into a tree once its layers are applied, the formats only read it. So the cache must be on
 * the scratch directory's filesystem; where it is not, nothing is cached and builds say so.
 * Bounded like {@link ImageCache}: least recently used entries go first.
 */
public final class TreeCache {

    static final String RECORD = "tree.json";
    static final String TREE = "rootfs";
    static final String SBOM = "sbom.cdx.json";
    private static final Duration LINK_TIMEOUT = Duration.ofMinutes(10);
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

    /** @param bytes the tree's file content, for eviction; @param builtAt when the build that made it ran */
    record Record(String baseName, long bytes, String builtAt) {
    }

    /** A reused tree: its copy in the build's directory and its SBOM linked beside it. */
    public record Hit(RootFilesystem rootfs, Path sbom, String builtAt) {
    }

    /**
     * @return the tree for {@code key}, hard-linked into {@code workDir/rootfs}, with its SBOM in
     *         {@code workDir}; empty on a miss (nothing is left in {@code workDir} then)
     */
    public Optional<Hit> checkout(String key, Path workDir, CommandRunner commands) {
        if (!enabled()) {
            return Optional.empty();
        }
        Optional<Record> recorded = entries.readRecord(key, Record.class);
        if (recorded.isEmpty()) {
            return Optional.empty();
        }
        Record record = recorded.get();
        Path root = workDir.resolve(TREE);
        Path sbom = workDir.resolve(SBOM);
        try {
            commands.run(LINK_TIMEOUT, workDir, null, "cp", "-a", "-l", "--", entries.entry(key).resolve(TREE).toString(),
                    root.toString());
            Files.createLink(sbom, entries.entry(key).resolve(SBOM));
            entries.touch(key);
            return Optional.of(new Hit(RootFilesystem.existing(root, record.baseName()), sbom, record.builtAt()));
        } catch (BuildException | IOException e) {
            // Evicted while we linked it, or not on the scratch filesystem: a miss, leaving nothing half-made.
            LOG.infof("tree cache: %s not reused: %s", key, e.getMessage());
            entries.deleteQuietly(root);
            entries.deleteQuietly(sbom);
            return Optional.empty();
        }
    }

    /**
     * Moves a finished build's tree (and links its SBOM) into the cache under {@code key}, then
     * evicts. The build must not use the tree afterwards. Never fails the build: a tree that cannot
     * be kept is logged and left where it is, for the scratch clean-up.
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
            Files.writeString(partial.resolve(RECORD),
                    EventJson.write(new Record(rootfs.baseName(), bytes, Instant.now().toString())));
            entries.publish(partial, key);
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
