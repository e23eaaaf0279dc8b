package dev.byoos.worker.builder.layers;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.rootfs.RootFilesystem;

/**
 * The image's user and group databases (/etc/passwd, /etc/group and their shadow files): resolves
 * owners by name the way the image will, and adds the spec's users. Every name is checked again
 * here, because a ':' or a line break in one would forge entries in these files.
 */
final class ImageAccounts {

    static final String PASSWD = "/etc/passwd";
    static final String GROUP = "/etc/group";
    static final String SHADOW = "/etc/shadow";
    static final String GSHADOW = "/etc/gshadow";
    /** The first id of regular users and groups on Debian and Fedora alike. */
    static final int FIRST_REGULAR_ID = 1000;
    private static final int LAST_REGULAR_ID = 59999;
    private static final Pattern ACCOUNT_NAME = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
    private static final Pattern NUMERIC_ID = Pattern.compile("[0-9]{1,9}");

    /** A resolved owner: what chown needs. */
    record Owner(int uid, int gid) {
    }

    private final RootFilesystem rootfs;
    private final List<String[]> users;
    private final List<String[]> groups;

    ImageAccounts(RootFilesystem rootfs) {
        this.rootfs = rootfs;
        this.users = entries(rootfs.read(PASSWD).orElse(""));
        this.groups = entries(rootfs.read(GROUP).orElse(""));
    }

    /**
     * @param owner {@code user:group}, each a name in the image's databases or a numeric id
     * @throws BuildException BAD_INPUT when a name is unknown to the image
     */
    Owner resolve(String owner, String forPath) {
        String[] parts = owner.split(":", -1);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw badInput("INVALID_OWNER", forPath + ": owner '" + owner + "' is not of the form user:group");
        }
        int uid = id(parts[0], users).orElseThrow(() -> badInput("UNKNOWN_OWNER", forPath + ": user '" + parts[0]
                + "' is not in the image's " + PASSWD + " (base " + rootfs.baseName() + ")"));
        int gid = id(parts[1], groups).orElseThrow(() -> badInput("UNKNOWN_OWNER", forPath + ": group '" + parts[1]
                + "' is not in the image's " + GROUP + " (base " + rootfs.baseName() + ")"));
        return new Owner(uid, gid);
    }

    /**
     * Adds a user with a locked password, a private primary group (the group of the same name,
     * created when missing) and membership in its supplementary groups (created when missing).
     * A user the image already has is refused rather than merged: silently extending an existing
     * account (root, a service user) with new keys would grant access nobody reviewed as such.
     *
     * @return the new user's owner ids
     */
    Owner addUser(BuildRequested.User user) {
        requireName(user.name(), "user");
        user.groups().forEach(group -> requireName(group, "group"));
        if (!rootfs.has(PASSWD) || !rootfs.has(GROUP)) {
            throw badInput("NO_ACCOUNT_DATABASE", "base " + rootfs.baseName() + " has no " + PASSWD + " or " + GROUP
                    + "; users cannot be added");
        }
        if (find(user.name(), users).isPresent()) {
            throw badInput("USER_EXISTS", "user '" + user.name() + "' already exists in base " + rootfs.baseName());
        }
        List<String> newGroupLines = new ArrayList<>();
        int gid = find(user.name(), groups).map(entry -> Integer.parseInt(entry[2]))
                .orElseGet(() -> addGroup(user.name(), newGroupLines));
        for (String group : user.groups()) {
            if (find(group, groups).isEmpty()) {
                addGroup(group, newGroupLines);
            }
            String[] entry = find(group, groups).orElseThrow();
            Set<String> members = new LinkedHashSet<>(List.of(entry[3].isEmpty() ? new String[0] : entry[3].split(",")));
            members.add(user.name());
            entry[3] = String.join(",", members);
        }
        int uid = freeId(users, FIRST_REGULAR_ID);
        String home = "/home/" + user.name();
        String shell = rootfs.has("/bin/bash") ? "/bin/bash" : "/bin/sh";
        String[] entry = {user.name(), "x", String.valueOf(uid), String.valueOf(gid), "", home, shell};
        users.add(entry);

        rootfs.append(PASSWD, String.join(":", entry) + "\n");
        // Rewritten whole: memberships change lines in the middle. Lines this class does not
        // understand are written back as they were.
        rootfs.replace(GROUP, lines(groups));
        // '!' locks the password: the user logs in with the authorized keys only. No change date,
        // so the same spec builds the same bytes.
        appendOrCreate(SHADOW, user.name() + ":!:::::::\n");
        if (rootfs.has(GSHADOW)) {
            rootfs.append(GSHADOW, String.join("", newGroupLines));
        }
        return new Owner(uid, gid);
    }

    private int addGroup(String name, List<String> gshadowLines) {
        int gid = freeId(groups, FIRST_REGULAR_ID);
        groups.add(new String[] {name, "x", String.valueOf(gid), ""});
        gshadowLines.add(name + ":!::\n");
        return gid;
    }

    private void appendOrCreate(String imagePath, String line) {
        if (rootfs.has(imagePath)) {
            rootfs.append(imagePath, line);
        } else {
            rootfs.write(imagePath, line, "0640", 0, 0);
        }
    }

    private static Optional<Integer> id(String nameOrId, List<String[]> database) {
        if (NUMERIC_ID.matcher(nameOrId).matches()) {
            return Optional.of(Integer.parseInt(nameOrId));
        }
        Optional<Integer> known = find(nameOrId, database).map(entry -> Integer.parseInt(entry[2]));
        // root is uid and gid 0 on every Unix, so a base without account files can still own files as root.
        return known.isEmpty() && "root".equals(nameOrId) ? Optional.of(0) : known;
    }

    private static Optional<String[]> find(String name, List<String[]> database) {
        return database.stream().filter(ImageAccounts::isEntry).filter(entry -> entry[0].equals(name)).findFirst();
    }

    /** An account line: name, password, numeric id and more (group lines have four fields). */
    private static boolean isEntry(String[] fields) {
        return fields.length >= 4 && NUMERIC_ID.matcher(fields[2]).matches();
    }

    private static int freeId(List<String[]> database, int from) {
        Set<Integer> taken = new java.util.HashSet<>();
        database.stream().filter(ImageAccounts::isEntry).forEach(entry -> taken.add(Integer.parseInt(entry[2])));
        for (int id = from; id <= LAST_REGULAR_ID; id++) {
            if (!taken.contains(id)) {
                return id;
            }
        }
        throw badInput("NO_FREE_ID", "no free user or group id between " + from + " and " + LAST_REGULAR_ID);
    }

    private static List<String[]> entries(String file) {
        List<String[]> entries = new ArrayList<>();
        for (String line : file.split("\n")) {
            if (!line.isEmpty()) {
                entries.add(line.split(":", -1));
            }
        }
        return entries;
    }

    private static String lines(List<String[]> entries) {
        StringBuilder text = new StringBuilder();
        entries.forEach(entry -> text.append(String.join(":", entry)).append('\n'));
        return text.toString();
    }

    private static void requireName(String name, String what) {
        if (!ACCOUNT_NAME.matcher(name).matches()) {
            throw badInput("INVALID_NAME", what + " name '" + name + "' is not a valid account name");
        }
    }

    private static BuildException badInput(String code, String message) {
        return new BuildException(BuildException.Kind.BAD_INPUT, code, message, null);
    }
}
