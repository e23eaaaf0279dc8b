package dev.byoos.worker.builder.disk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.core.Reproducibility;
import dev.byoos.worker.builder.process.CommandRunner;

/**
 * Gives every inode of the ext4 root made by {@code mke2fs -d} the source date as its access,
 * modification and change time. mke2fs copies all three from the worker's files, and none of them
 * can be fixed there: the kernel sets a change time to the moment of any change, reading a file moves
 * its access time, and a tree from the tree cache shares its inodes (hard links) with other builds
 * reading them at the same moment. So the times are set in the filesystem afterwards, with debugfs,
 * and the worker's tree is left as it is. Creation times and the filesystem's own times are the
 * source date already ({@code E2FSPROGS_FAKE_TIME}).
 */
final class InodeTimes {

    private static final Duration TOOL_TIMEOUT = Duration.ofMinutes(10);
    private static final Pattern INODE_COUNT = Pattern.compile("(?m)^Inode count:\\s+(\\d+)$");
    /** A group's free inodes (indented, unlike the header's count): ranges and single numbers, comma-separated. */
    private static final Pattern FREE_INODES = Pattern.compile("(?m)^  Free inodes: ?(.*)$");
    /** Inodes below this are reserved (journal, resize, quota); mke2fs dates the ones it uses with its own time. */
    private static final int FIRST_ORDINARY_INODE = 11;
    private static final int ROOT_DIRECTORY_INODE = 2;

    private InodeTimes() {
    }

    /** @param offset where the ext4 filesystem starts in {@code disk} */
    static void set(Path disk, long offset, Reproducibility fixed, Path workDir, CommandRunner commands) {
        String filesystem = disk + "?offset=" + offset;
        List<Integer> inodes = usedInodes(commands.run(TOOL_TIMEOUT, workDir, null, "dumpe2fs", filesystem));
        StringBuilder script = new StringBuilder();
        String time = " @" + fixed.epochSeconds() + "\n";
        for (int inode : inodes) {
            for (String field : List.of("atime", "mtime", "ctime")) {
                script.append("sif <").append(inode).append("> ").append(field).append(time);
            }
        }
        Path commandFile = workDir.resolve("inode-times.debugfs");
        try {
            Files.writeString(commandFile, script);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        commands.run(TOOL_TIMEOUT, workDir, null, fixed.atSourceDate("debugfs", "-w", "-f", commandFile.toString(),
                filesystem));
    }

    /**
     * @param dumpe2fs what {@code dumpe2fs} prints of a filesystem: the inode count, and per group its free inodes
     * @return the root directory and every ordinary inode in use, in order
     */
    static List<Integer> usedInodes(String dumpe2fs) {
        Matcher count = INODE_COUNT.matcher(dumpe2fs);
        Matcher groups = FREE_INODES.matcher(dumpe2fs);
        if (!count.find() || !groups.find()) {
            // Without both, unused inodes would be taken for used ones and given times.
            throw new BuildException(BuildException.Kind.BUILDER, "UNEXPECTED_TOOL_OUTPUT",
                    "dumpe2fs printed no inode count or no group's free inodes for the root filesystem", null);
        }
        int inodeCount = Integer.parseInt(count.group(1));
        BitSet free = new BitSet(inodeCount + 1);
        do {
            for (String range : groups.group(1).split(",")) {
                String[] bounds = range.strip().split("-");
                if (!bounds[0].isEmpty()) {
                    free.set(Integer.parseInt(bounds[0]), Integer.parseInt(bounds[bounds.length - 1]) + 1);
                }
            }
        } while (groups.find());
        List<Integer> used = new ArrayList<>(List.of(ROOT_DIRECTORY_INODE));
        for (int inode = FIRST_ORDINARY_INODE; inode <= inodeCount; inode++) {
            if (!free.get(inode)) {
                used.add(inode);
            }
        }
        return used;
    }
}
