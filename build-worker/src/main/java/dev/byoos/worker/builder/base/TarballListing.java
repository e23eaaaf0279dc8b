package dev.byoos.worker.builder.base;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import dev.byoos.worker.builder.core.BuildException;

/**
 * A tarball base's members as {@code tar -P -tf} and {@code tar -P --numeric-owner -tvf} list them
 * (one line per member, in the same order), judged before anything is unpacked. An archive made
 * from a real root filesystem never trips these checks; an archive made to escape its tree does,
 * and is refused outright rather than left to how tar happens to handle it (GNU tar strips
 * {@code /} and {@code ../} from hard link targets and defers dangerous symlinks to the end, so it
 * contains these, but exits with a failure that would read as the worker's fault).
 *
 * @param unpackedBytes the sum of the members' apparent sizes (a sparse file counts in full)
 * @param leftOut       the members not unpacked, as listed: block and character devices (unpacked
 *                      as root they would be the worker's own disks and memory, in the base cache),
 *                      FIFOs (nothing in a base needs one, and a builder reading a file that is
 *                      one would wait forever), and hard links to any of these
 */
record TarballListing(long unpackedBytes, List<String> leftOut) {

    /**
     * @param names   the {@code -tf} listing
     * @param verbose the {@code -tvf} listing of the same archive
     * @throws BuildException BAD_INPUT UNSAFE_BASE_ARCHIVE for a member or hard link target outside the
     *                        tree or reached through a symlink member, or a listing that cannot be read back
     */
    static TarballListing of(String url, List<String> names, List<String> verbose) {
        if (names.size() != verbose.size()) {
            throw unsafe(url, "a listing that cannot be read back (" + names.size() + " names, " + verbose.size()
                    + " members)");
        }
        Set<String> symlinks = new HashSet<>();
        List<HardLink> hardLinks = new ArrayList<>();
        Set<String> special = new HashSet<>();
        List<String> leftOut = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            String line = verbose.get(i);
            refuseOutside(url, name, "a member outside its tree (" + name + ")");
            // mode, owner, size (major,minor for a device), date, time, then the name and any link target
            String[] fields = line.split("\\s+", 6);
            if (fields.length < 6 || line.isEmpty()) {
                throw unsafe(url, "a listing line that cannot be read back (" + line + ")");
            }
            char type = line.charAt(0);
            switch (type) {
                case 'b', 'c', 'p' -> {
                    if (name.contains("\\")) {
                        throw unsafe(url, "a device node or FIFO whose name cannot be read back (" + line + ")");
                    }
                    special.add(normalized(name));
                    leftOut.add(name);
                }
                case 'l' -> symlinks.add(normalized(name));
                case 'h' -> {
                    String target = linkTarget(url, name, fields[5], " link to ", line);
                    refuseOutside(url, target, "a hard link to outside its tree (" + name + " to " + target + ")");
                    hardLinks.add(new HardLink(name, target));
                }
                default -> bytes = addSize(url, bytes, fields[2], line);
            }
        }
        for (String name : names) {
            refuseThroughSymlink(url, normalized(name), symlinks, name);
        }
        for (HardLink link : hardLinks) {
            String target = normalized(link.target());
            refuseThroughSymlink(url, target, symlinks, link.name() + " link to " + link.target());
            if (special.contains(target)) {
                leftOut.add(link.name());
            }
        }
        return new TarballListing(bytes, List.copyOf(leftOut));
    }

    private record HardLink(String name, String target) {
    }

    private static String linkTarget(String url, String name, String rest, String separator, String line) {
        // The name is known exactly from -tf; the listing's field split drops leading spaces only.
        String prefix = name.stripLeading() + separator;
        if (!rest.startsWith(prefix)) {
            throw unsafe(url, "a link whose target cannot be read back (" + line + ")");
        }
        return rest.substring(prefix.length());
    }

    private static long addSize(String url, long total, String size, String line) {
        long bytes;
        try {
            bytes = Long.parseLong(size);
        } catch (NumberFormatException e) {
            throw unsafe(url, "a listing line that cannot be read back (" + line + ")");
        }
        // Saturating: sizes near Long.MAX_VALUE must not wrap round to a small sum.
        return bytes > Long.MAX_VALUE - total ? Long.MAX_VALUE : total + bytes;
    }

    private static void refuseOutside(String url, String path, String what) {
        if (path.startsWith("/") || Arrays.asList(path.split("/")).contains("..")) {
            throw unsafe(url, what);
        }
    }

    /**
     * A path under a symlink member: unpacked, it would be written wherever the symlink points.
     * A tree archived by tar never lists one, since tar does not descend into symlinks.
     */
    private static void refuseThroughSymlink(String url, String path, Set<String> symlinks, String member) {
        for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
            if (symlinks.contains(path.substring(0, slash))) {
                throw unsafe(url, "a member reached through the symlink " + path.substring(0, slash) + " (" + member
                        + ")");
            }
        }
    }

    /** {@code ./etc//x/} and {@code etc/./x} are both {@code etc/x}, as tar would unpack them. */
    static String normalized(String member) {
        return Arrays.stream(member.split("/")).filter(part -> !part.isEmpty() && !part.equals("."))
                .collect(Collectors.joining("/"));
    }

    private static BuildException unsafe(String url, String what) {
        return new BuildException(BuildException.Kind.BAD_INPUT, "UNSAFE_BASE_ARCHIVE",
                "tarball base " + url + " has " + what + ": refused, nothing unpacked", null);
    }
}
