package dev.byoos.worker.builder.core;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * What makes a build's outputs the same bytes every time the same inputs are built: one time for
 * every timestamp an output holds, and one seed for every id it holds.
 *
 * <p>The time is a fixed epoch, {@value #SOURCE_DATE_EPOCH_SECONDS} (1980-01-01T00:00:00Z), not one
 * computed from the request: the image and tree caches serve one build's output to any request with
 * the same content key, so anything finer than the key (a spec's digest, a build id) would make a
 * cached image differ from a fresh one; a time computed from the key would be an arbitrary date,
 * perhaps in the future. 1980 is the earliest time every filesystem in the image stores exactly
 * (FAT, on the ESP, starts there). Being an input of every build, it is in every content key and in
 * the provenance.
 *
 * @param identity seed of every id (GPT GUIDs, filesystem UUIDs, a VHD's UUID, a VMDK's CID): the
 *                 content key of the tree, so the same tree gets the same ids and another tree others
 * @param sourceDate every file time and every timestamp of the outputs
 */
public record Reproducibility(String identity, Instant sourceDate) {

    static final long SOURCE_DATE_EPOCH_SECONDS = 315_532_800L;
    /** The time of every file and every timestamp in every image, as {@code SOURCE_DATE_EPOCH} means it. */
    public static final Instant SOURCE_DATE_EPOCH = Instant.ofEpochSecond(SOURCE_DATE_EPOCH_SECONDS);

    /** The ids and time of the outputs made from the tree with this content key. */
    public static Reproducibility of(String treeKey) {
        return new Reproducibility(treeKey, SOURCE_DATE_EPOCH);
    }

    /** @return the id for {@code purpose} (one per purpose: "disk", "esp", "vhd", ...): the same every time */
    public UUID uuid(String purpose) {
        return UUID.nameUUIDFromBytes((identity + "/" + purpose).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * {@code command} run with the source date as the time it believes it is: {@code SOURCE_DATE_EPOCH}
     * (mtools dates the entries it adds with it), {@code E2FSPROGS_FAKE_TIME} (mke2fs's creation, write
     * and check times) and {@code TZ=UTC} (FAT stores local time; without it the worker's zone would show).
     */
    public String[] atSourceDate(String... command) {
        String epoch = String.valueOf(epochSeconds());
        return Stream.concat(Stream.of("env", "TZ=UTC", "SOURCE_DATE_EPOCH=" + epoch, "E2FSPROGS_FAKE_TIME=" + epoch),
                Stream.of(command)).toArray(String[]::new);
    }

    /** {@code sourceDate} in seconds since 1970, as tools take it ({@code SOURCE_DATE_EPOCH}, {@code --mtime=@}). */
    public long epochSeconds() {
        return sourceDate.getEpochSecond();
    }
}
