import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds package cycles inside one service: reads the package dependencies of its compiled classes
 * with jdeps and prints every strongly connected group of more than one package.
 *
 * <pre>java tools/PackageCycles.java build-worker/target/classes dev.byoos.worker</pre>
 *
 * Exits 1 when a cycle exists, 0 otherwise. Compile the module first.
 */
public class PackageCycles {

    private static final Pattern EDGE = Pattern.compile("^\\s+(\\S+)\\s+->\\s+(\\S+)\\s");

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: java tools/PackageCycles.java CLASSES_DIR PACKAGE_PREFIX");
            System.exit(2);
        }
        Path classes = Path.of(args[0]);
        String prefix = args[1];
        if (!Files.isDirectory(classes)) {
            System.err.println(classes + " is no directory: compile the module first");
            System.exit(2);
        }
        String jdeps = Path.of(System.getProperty("java.home"), "bin", "jdeps").toString();
        Process process = new ProcessBuilder(jdeps, "-verbose:package", "-filter:none", "--multi-release", "17",
                "-include", prefix.replace(".", "\\.") + ".*", classes.toString()).redirectErrorStream(true).start();
        Map<String, Set<String>> edges = new TreeMap<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
            for (String line; (line = out.readLine()) != null;) {
                Matcher m = EDGE.matcher(line);
                if (m.find() && m.group(1).startsWith(prefix) && m.group(2).startsWith(prefix)
                        && !m.group(1).equals(m.group(2))) {
                    edges.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
                    edges.computeIfAbsent(m.group(2), k -> new TreeSet<>());
                }
            }
        }
        if (process.waitFor() != 0) {
            System.err.println("jdeps failed");
            System.exit(2);
        }
        List<Set<String>> cycles = new Tarjan(edges).groups();
        System.out.println(edges.size() + " packages under " + prefix + ", "
                + edges.values().stream().mapToInt(Set::size).sum() + " dependencies between them");
        for (Set<String> cycle : cycles) {
            System.out.println("cycle: " + cycle);
            for (String from : cycle) {
                for (String to : edges.get(from)) {
                    if (cycle.contains(to)) {
                        System.out.println("  " + from + " -> " + to);
                    }
                }
            }
        }
        System.out.println(cycles.isEmpty() ? "no package cycles" : cycles.size() + " package cycle(s)");
        System.exit(cycles.isEmpty() ? 0 : 1);
    }

    /** Tarjan's strongly connected components; groups of one are no cycle (self edges are dropped). */
    static final class Tarjan {
        private final Map<String, Set<String>> edges;
        private final Map<String, Integer> index = new TreeMap<>();
        private final Map<String, Integer> low = new TreeMap<>();
        private final List<String> stack = new ArrayList<>();
        private final Set<String> onStack = new TreeSet<>();
        private final List<Set<String>> groups = new ArrayList<>();
        private int next;

        Tarjan(Map<String, Set<String>> edges) {
            this.edges = edges;
        }

        List<Set<String>> groups() {
            for (String node : edges.keySet()) {
                if (!index.containsKey(node)) {
                    visit(node);
                }
            }
            return groups;
        }

        private void visit(String node) {
            index.put(node, next);
            low.put(node, next++);
            stack.add(node);
            onStack.add(node);
            for (String to : edges.get(node)) {
                if (!index.containsKey(to)) {
                    visit(to);
                    low.put(node, Math.min(low.get(node), low.get(to)));
                } else if (onStack.contains(to)) {
                    low.put(node, Math.min(low.get(node), index.get(to)));
                }
            }
            if (low.get(node).equals(index.get(node))) {
                Set<String> group = new TreeSet<>();
                String member;
                do {
                    member = stack.remove(stack.size() - 1);
                    onStack.remove(member);
                    group.add(member);
                } while (!member.equals(node));
                if (group.size() > 1) {
                    groups.add(group);
                }
            }
        }
    }
}
