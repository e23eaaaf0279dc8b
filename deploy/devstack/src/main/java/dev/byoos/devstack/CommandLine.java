package dev.byoos.devstack;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The {@code --name value} options and {@code --flag}s after a command name. */
public final class CommandLine {

    private final Map<String, String> values;
    private final Set<String> flags;

    private CommandLine(Map<String, String> values, Set<String> flags) {
        this.values = values;
        this.flags = flags;
    }

    /**
     * @param valueOptions names (without {@code --}) that take a value
     * @param flagOptions  names that take none
     * @throws UsageException on an unknown option or a missing value
     */
    public static CommandLine parse(String[] args, int from, Set<String> valueOptions, Set<String> flagOptions) {
        Map<String, String> values = new HashMap<>();
        Set<String> flags = new HashSet<>();
        for (int i = from; i < args.length; i++) {
            String arg = args[i];
            String name = arg.startsWith("--") ? arg.substring(2) : null;
            if (name != null && flagOptions.contains(name)) {
                flags.add(name);
            } else if (name != null && valueOptions.contains(name)) {
                if (i + 1 >= args.length) {
                    throw new UsageException("option " + arg + " needs a value");
                }
                values.put(name, args[++i]);
            } else {
                throw new UsageException("unknown argument: " + arg);
            }
        }
        return new CommandLine(values, flags);
    }

    public Path requiredPath(String name) {
        String value = values.get(name);
        if (value == null || value.isBlank()) {
            throw new UsageException("option --" + name + " is required");
        }
        return Path.of(value);
    }

    public String value(String name, String defaultValue) {
        String value = values.get(name);
        return value == null || value.isBlank() ? defaultValue : value;
    }

    /** @return the option's value, empty when it was not given */
    public Optional<String> optional(String name) {
        return Optional.ofNullable(values.get(name)).filter(value -> !value.isBlank());
    }

    /** @throws UsageException when the value is not a whole number */
    public int intValue(String name, int defaultValue) {
        String value = values.get(name);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new UsageException("option --" + name + " needs a whole number, not '" + value + "'");
        }
    }

    public boolean flag(String name) {
        return flags.contains(name);
    }

    /** A command line the user got wrong: reported with the usage text, exit code 2. */
    public static final class UsageException extends RuntimeException {
        public UsageException(String message) {
            super(message);
        }
    }
}
