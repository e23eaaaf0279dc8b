package dev.byoos.worker.builder.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * MAAS's {@code root-tgz} (a custom image uploaded with {@code filetype=tgz}): the root filesystem
 * tree itself, no disk. Paths are relative ({@code ./etc/os-release}) and owners stay numeric,
 * because the image's uids mean nothing on the worker's own account database; symbolic links are
 * archived as links. Entries are in name order, every one dated with the source date, and gzip
 * records no time: the same tree makes the same archive.
 */
final class RootTarballFormat implements ImageFormat {

    static final String FILE_NAME = "root.tgz";
    /** {@code st_mode}'s file type bits, and those of character and block devices. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;

    @Override
    public String name() {
        return "tgz";
    }

    @Override
    public Path write(FormatContext context) {
        Path output = context.workDir().resolve(FILE_NAME);
        context.run(FormatContext.WRITE_TIMEOUT, "tar", "--format=gnu", "--sort=name",
                "--mtime=@" + context.reproducibility().epochSeconds(), "--numeric-owner",
                "--use-compress-program=" + FormatContext.GZIP_COMPRESSOR, "-cf", output.toString(),
                "-C", context.tree().toString(), ".");
        return output;
    }

    /**
     * Reading the whole archive back checks the gzip stream; every entry of the tree must be in it.
     * A device node anywhere but /dev is refused: MAAS unpacks the archive as root onto the machine's
     * disk, where a node made by a spec's script (a block device in /tmp, say) would hand whoever can
     * open it the machine's raw disks or memory.
     */
    @Override
    public void verify(Path output, FormatContext context) {
        String listing = context.run(FormatContext.CHECK_TIMEOUT, "tar",
                "--use-compress-program=" + FormatContext.GZIP_COMPRESSOR, "-tf",
                output.toString());
        long archived = listing.lines().count();
        Tree tree = Tree.of(context.tree());
        if (archived != tree.entries()) {
            throw FormatContext.checkFailed(name(), "the archive holds " + archived + " entries, the tree "
                    + tree.entries());
        }
        if (!tree.devicesOutsideDev().isEmpty()) {
            throw FormatContext.checkFailed(name(), "device nodes outside /dev: " + tree.devicesOutsideDev());
        }
    }

    /**
     * @param entries           directories, files, links and device nodes, the tree itself included (tar's "./")
     * @param devicesOutsideDev character and block devices not under /dev, as paths in the image
     */
    private record Tree(long entries, List<String> devicesOutsideDev) {

        static Tree of(Path root) {
            long[] count = {0};
            List<String> devices = new ArrayList<>();
            Path dev = root.resolve("dev");
            try {
                Files.walkFileTree(root, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                        count[0]++;
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                        count[0]++;
                        if (attrs.isOther() && isDevice(file) && !file.startsWith(dev)) {
                            devices.add("/" + root.relativize(file));
                        }
                        return FileVisitResult.CONTINUE;
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new Tree(count[0], List.copyOf(devices));
        }

        private static boolean isDevice(Path file) throws IOException {
            int type = (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS) & S_IFMT;
            return type == S_IFCHR || type == S_IFBLK;
        }
    }
}
