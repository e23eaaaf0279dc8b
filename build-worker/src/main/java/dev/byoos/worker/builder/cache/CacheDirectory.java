package dev.byoos.worker.builder.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;

import org.jboss.logging.Logger;

import dev.byoos.contract.EventJson;
import dev.byoos.worker.storage.FileTrees;

/**
 * What the worker's content-keyed caches ({@link ImageCache}, {@link TreeCache}) share: one
 * directory per key holding a record file; entries are assembled under a partial name and renamed
 * into place (a crash never leaves half an entry, and of two workers storing one key the first
 * wins); the record's modification time is the entry's last use; the least recently used entries
 * go first when the cache is over its size.
 */
final class CacheDirectory {

    /** What an entry's size is, for {@link #evict}, when its record cannot be read. */
    static final long UNUSABLE = -1;
    private static final Logger LOG = Logger.getLogger(CacheDirectory.class);

    private final Path directory;
    private final String record;
    private final String what;

    /**
     * @param record the file every complete entry holds
     * @param what   the cache's name in log lines
     */
    CacheDirectory(Path directory, String record, String what) {
        this.directory = directory.toAbsolutePath().normalize();
        this.record = record;
        this.what = what;
    }

    Path entry(String key) {
        return directory.resolve(key);
    }

    Path record(String key) {
        return entry(key).resolve(record);
    }

    /**
     * @return the record of the complete entry for {@code key}; empty when there is none, or when
     *         its record cannot be read (the entry is then removed, and the caller builds again)
     */
    <T> Optional<T> readRecord(String key, Class<T> type) {
        try {
            return Optional.of(EventJson.read(Files.readString(record(key)), type));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (EventJson.MalformedEventException | CharacterCodingException e) {
            LOG.warnf("%s: removing %s, its record is unreadable: %s", what, key, e.toString());
            deleteQuietly(entry(key));
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh directory, in the cache directory (so it can be renamed into place), to assemble an entry in. */
    Path newPartial(String key) throws IOException {
        return Files.createDirectories(directory.resolve("." + key + ".partial-" + UUID.randomUUID()));
    }

    /**
     * Renames a complete partial entry into place; when a concurrent store got there first, keeps that one.
     *
     * @return whether this partial entry became the entry
     */
    boolean publish(Path partial, String key) throws IOException {
        try {
            Files.move(partial, entry(key), StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            LOG.debugf("%s: %s was stored by a concurrent build; keeping that one", what, key);
            return false;
        } catch (AtomicMoveNotSupportedException e) {
            throw new IllegalStateException("partial entries are created in the cache directory itself", e);
        }
    }

    /**
     * Replaces a complete entry's record with {@code content} in one rename: a reader sees the old
     * record or the new one, never part of one. The entry's files are not touched.
     *
     * @throws NoSuchFileException when the entry is gone (evicted)
     */
    void replaceRecord(String key, String content) throws IOException {
        Path replacement = entry(key).resolve("." + record + ".new-" + UUID.randomUUID());
        try {
            Files.writeString(replacement, content, StandardOpenOption.CREATE_NEW);
            Files.move(replacement, record(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(replacement);
        }
    }

    /** Marks an entry as just used, so eviction keeps it longest. */
    void touch(String key) throws IOException {
        Files.setLastModifiedTime(record(key), FileTime.from(Instant.now()));
    }

    /**
     * Removes the least recently used complete entries until the rest fit {@code maxBytes}, and every
     * entry whose {@code size} is {@value #UNUSABLE}: one whose record cannot be read, which no lookup
     * would ever use. Only complete entries are looked at: a partial one (a name starting with a dot)
     * may be one another build is writing its record into right now.
     */
    synchronized void evict(long maxBytes, ToLongFunction<Path> size) {
        List<Path> entries;
        try (Stream<Path> children = Files.list(directory)) {
            entries = children.filter(child -> !child.getFileName().toString().startsWith("."))
                    .filter(child -> Files.isRegularFile(child.resolve(record)))
                    .sorted(Comparator.comparing(this::lastUsed).reversed()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long kept = 0;
        for (Path entry : entries) {
            long bytes = size.applyAsLong(entry);
            if (bytes == UNUSABLE) {
                LOG.warnf("%s: evicting %s, its record cannot be read", what, entry.getFileName());
                deleteQuietly(entry);
            } else if (kept + bytes <= maxBytes) {
                kept += bytes;
            } else {
                LOG.infof("%s: evicting %s (%d bytes) to stay within %d bytes", what, entry.getFileName(), bytes,
                        maxBytes);
                deleteQuietly(entry);
            }
        }
    }

    private FileTime lastUsed(Path entry) {
        try {
            return Files.getLastModifiedTime(entry.resolve(record));
        } catch (IOException e) {
            // Evicted by a concurrent store: oldest of all, it goes first (again, harmlessly).
            return FileTime.fromMillis(0);
        }
    }

    /** Removes a tree without following its links; what cannot be removed is logged, not thrown. */
    void deleteQuietly(Path tree) {
        try {
            FileTrees.delete(tree);
        } catch (IOException e) {
            LOG.warnf("%s: could not remove %s: %s", what, tree, e.getMessage());
        }
    }
}
