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
import dev.byoos.worker.builder.core.BuildLog;
import dev.byoos.worker.builder.core.Sha256;

/**
 * Finished images by content key ({@link BuildInputs#imageKey()}): an unchanged spec on unchanged
 * inputs is served from here instead of being built again. An entry is a directory
 * {@code <key>/} holding the output file, its SBOM and {@value #RECORD} (file names, format, boot
 * test, and the sha256 of both files); it is written as {@code .<key>.partial-*} and renamed into
 * place, so a crash never leaves half an entry, and two workers storing the same key keep the first.
 * Only a build that finished is stored: the native builder stores after its last step.
 *
 * <p>A hit is the build's own copy, hashed as it is copied (one read of the entry) and used only
 * when both digests are the recorded ones: an entry that was changed, cut short or half-written
 * when the machine went down is discarded and the image is built again. Nothing the build then
 * does to its copy reaches the entry, and evicting the entry never pulls an image from under an
 * upload.
 *
 * <p>Bounded: after each store the least recently used entries (by the record's modification
 * time, touched on every hit) are removed until the entries fit {@code maxBytes}.
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
    record Record(String image, String imageSha256, String sbom, String sbomSha256, String format,
            BuildCompleted.BootTest bootTest, String builtAt) {
    }

    /** A cache hit: the entry's files, linked into the build's directory. */
    public record Hit(Path image, Path sbom, String format, BuildCompleted.BootTest bootTest, String builtAt) {
    }

    /**
     * @return the entry for {@code key}, its files copied into {@code workDir} and checked against
     *         their recorded digests; empty on a miss, or when they do not check out (the entry is
     *         then discarded, and nothing is left in {@code workDir})
     */
    public Optional<Hit> lookup(String key, Path workDir, BuildLog log) {
        if (!enabled()) {
            return Optional.empty();
        }
        Path entry = entries.entry(key);
        Optional<Record> recorded = entries.readRecord(key, Record.class);
        if (recorded.isEmpty()) {
            return Optional.empty();
        }
        Record record = recorded.get();
        if (!namesItsOwnFiles(record)) {
            log.line("image cache: " + key + " discarded, its record does not name two files of the entry with "
                    + "their digests");
            entries.deleteQuietly(entry);
            return Optional.empty();
        }
        Path image = workDir.resolve(record.image());
        Path sbom = workDir.resolve(record.sbom());
        try {
            String imageSha256 = Sha256.copy(entry.resolve(record.image()), image);
            String sbomSha256 = Sha256.copy(entry.resolve(record.sbom()), sbom);
            if (!imageSha256.equals(record.imageSha256()) || !sbomSha256.equals(record.sbomSha256())) {
                log.line("image cache: " + key + " discarded, its content is not what was stored (image sha256 "
                        + imageSha256 + ", recorded " + record.imageSha256() + ")");
                entries.deleteQuietly(entry);
                entries.deleteQuietly(image);
                entries.deleteQuietly(sbom);
                return Optional.empty();
            }
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

    /**
     * Keeps a finished build's files under {@code key} (hard links where the filesystem allows: the
     * build is over, nothing writes them any more), with their digests, then evicts.
     */
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
            // Hashed in the entry, so the digest is of what is kept.
            Files.writeString(partial.resolve(RECORD), EventJson.write(new Record(imageName,
                    Sha256.of(partial.resolve(imageName)), sbomName, Sha256.of(partial.resolve(sbomName)), format,
                    bootTest, Instant.now().toString())));
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

    /**
     * Whether the record (written by a worker, or by another release, or edited by hand) names the
     * image and the SBOM as plain file names in the entry, with their digests: a name with a
     * separator or {@code ..} would copy from and into places outside the entry and the build.
     */
    private static boolean namesItsOwnFiles(Record record) {
        return isPlainName(record.image()) && isPlainName(record.sbom()) && record.imageSha256() != null
                && record.sbomSha256() != null;
    }

    private static boolean isPlainName(String name) {
        return name != null && !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.indexOf('/') < 0
                && name.indexOf('\0') < 0;
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
