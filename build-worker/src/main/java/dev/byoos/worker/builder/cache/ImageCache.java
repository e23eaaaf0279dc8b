package dev.byoos.worker.builder.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.stream.Stream;

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

    private final CacheDirectory entries;
    private final long maxBytes;

    /** @param maxBytes how much the entries may take on disk; 0 turns the cache off */
    public ImageCache(Path directory, long maxBytes) {
        this.entries = new CacheDirectory(directory, RECORD, "image cache");
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
        Path entry = entries.entry(key);
        Optional<Record> recorded = entries.readRecord(key, Record.class);
        if (recorded.isEmpty()) {
            return Optional.empty();
        }
        Record record = recorded.get();
        Path image = workDir.resolve(record.image());
        Path sbom = workDir.resolve(record.sbom());
        try {
            link(entry.resolve(record.image()), image);
            link(entry.resolve(record.sbom()), sbom);
            entries.touch(key);
            return Optional.of(new Hit(image, sbom, record.format(), record.bootTest(), record.builtAt()));
        } catch (NoSuchFileException e) {
            // Evicted while we looked: a miss, and the build must not find half of it in its directory.
            entries.deleteQuietly(image);
            entries.deleteQuietly(sbom);
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
        Path partial = null;
        try {
            partial = entries.newPartial(key);
            String imageName = image.getFileName().toString();
            String sbomName = "sbom.cdx.json";
            link(image, partial.resolve(imageName));
            link(sbom, partial.resolve(sbomName));
            Files.writeString(partial.resolve(RECORD), EventJson.write(
                    new Record(imageName, sbomName, format, bootTest, Instant.now().toString())));
            entries.publish(partial, key);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (partial != null) {
                entries.deleteQuietly(partial);
            }
        }
        evict();
    }

    /** Removes the least recently used entries until the rest fit. Entries in use by builds stay readable (links). */
    void evict() {
        entries.evict(maxBytes, ImageCache::size);
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
}
