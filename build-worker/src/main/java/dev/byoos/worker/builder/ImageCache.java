package dev.byoos.worker.builder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.EventJson;

/**
 * Finished images by content key ({@link BuildInputs#imageKey()}): an unchanged spec on unchanged
 * inputs is served from here instead of being built again. An entry is a directory
 * {@code <key>/} holding the output file, its SBOM and {@value #RECORD} (file names, format, boot
 * test); it is written as {@code .<key>.partial-*} and renamed into place, so a crash never leaves
 * half an entry, and two workers storing the same key keep the first.
 *
 * <p>Bounded: after each store the least recently used entries (by the record's modification
 * time, touched on every hit) are removed until the entries fit {@code maxBytes}. Files are handed
 * to builds as hard links, so evicting an entry never pulls an image from under an upload.
 */
public final class ImageCache {

    static final String RECORD = "entry.json";
    private static final Logger LOG = Logger.getLogger(ImageCache.class);

    private final Path directory;
    private final long maxBytes;

    /** @param maxBytes how much the entries may take on disk; 0 turns the cache off */
    public ImageCache(Path directory, long maxBytes) {
        this.directory = directory.toAbsolutePath().normalize();
        this.maxBytes = maxBytes;
    }

    /** A cache that keeps nothing. */
    public static ImageCache disabled() {
        return new ImageCache(Path.of("."), 0);
    }

    public boolean enabled() {
        return maxBytes > 0;
    }

    /** What an entry records besides its files. */
    record Record(String image, String sbom, String format, BuildCompleted.BootTest bootTest, String builtAt) {
    }

    /** A cache hit: the entry's files, linked into the build's directory. */
    public record Hit(Path image, Path sbom, String format, BuildCompleted.BootTest bootTest, String builtAt) {
    }

    /** @return the entry for {@code key}, its files linked into {@code workDir}; empty on a miss */
    public Optional<Hit> lookup(String key, Path workDir) {
        if (!enabled()) {
            return Optional.empty();
        }
        Path entry = directory.resolve(key);
        Record record;
        try {
            record = EventJson.read(Files.readString(entry.resolve(RECORD)), Record.class);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (EventJson.MalformedEventException e) {
            LOG.warnf("image cache: removing %s, its record is unreadable: %s", key, e.getMessage());
            deleteQuietly(entry);
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path image = workDir.resolve(record.image());
        Path sbom = workDir.resolve(record.sbom());
        try {
            link(entry.resolve(record.image()), image);
            link(entry.resolve(record.sbom()), sbom);
            Files.setLastModifiedTime(entry.resolve(RECORD), FileTime.from(Instant.now()));
            return Optional.of(new Hit(image, sbom, record.format(), record.bootTest(), record.builtAt()));
        } catch (NoSuchFileException e) {
            // Evicted while we looked: a miss, and the build must not find half of it in its directory.
            deleteQuietly(image);
            deleteQuietly(sbom);
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Keeps a finished build's files under {@code key} (hard links where the filesystem allows), then evicts. */
    public void store(String key, Path image, Path sbom, String format, BuildCompleted.BootTest bootTest) {
        if (!enabled()) {
            return;
        }
        Path entry = directory.resolve(key);
        Path partial = directory.resolve("." + key + ".partial-" + UUID.randomUUID());
        try {
            Files.createDirectories(partial);
            String imageName = image.getFileName().toString();
            String sbomName = "sbom.cdx.json";
            link(image, partial.resolve(imageName));
            link(sbom, partial.resolve(sbomName));
            Files.writeString(partial.resolve(RECORD), EventJson.write(
                    new Record(imageName, sbomName, format, bootTest, Instant.now().toString())));
            try {
                Files.move(partial, entry, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                LOG.debugf("image %s was cached by a concurrent build; keeping that one", key);
            }
        } catch (AtomicMoveNotSupportedException e) {
            throw new IllegalStateException("the image cache's partial entries are created in the cache directory", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteQuietly(partial);
        }
        evict();
    }

    /** Removes the least recently used entries until the rest fit. Entries in use by builds stay readable (links). */
    synchronized void evict() {
        List<Path> entries;
        try (Stream<Path> children = Files.list(directory)) {
            entries = children.filter(child -> Files.isRegularFile(child.resolve(RECORD)))
                    .sorted(Comparator.comparing(ImageCache::lastUsed).reversed()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long kept = 0;
        for (Path entry : entries) {
            long size = size(entry);
            if (kept + size <= maxBytes) {
                kept += size;
            } else {
                LOG.infof("image cache: evicting %s (%d bytes) to stay within %d bytes", entry.getFileName(), size,
                        maxBytes);
                deleteQuietly(entry);
            }
        }
    }

    private static FileTime lastUsed(Path entry) {
        try {
            return Files.getLastModifiedTime(entry.resolve(RECORD));
        } catch (IOException e) {
            // Evicted by a concurrent store: oldest of all, it goes first (again, harmlessly).
            return FileTime.fromMillis(0);
        }
    }

    private static long size(Path entry) {
        try (Stream<Path> files = Files.list(entry)) {
            return files.mapToLong(file -> file.toFile().length()).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    /** A hard link, or a copy where the two paths are on different filesystems. */
    private static Path link(Path existing, Path link) throws IOException {
        try {
            return Files.createLink(link, existing);
        } catch (FileSystemException e) {
            if (e instanceof NoSuchFileException || e instanceof FileAlreadyExistsException) {
                throw e;
            }
            return Files.copy(existing, link);
        }
    }

    private static void deleteQuietly(Path tree) {
        if (!Files.exists(tree)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(tree)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            LOG.warnf("image cache: could not remove %s: %s", tree, e.getMessage());
        }
    }
}
