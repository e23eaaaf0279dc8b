package dev.byoos.devstack;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Another local stack, for {@link PortsTest}: takes ports as a stack would, prints them on one line,
 * and holds them until its standard input closes.
 */
public final class PortsHolder {

    private PortsHolder() {
    }

    /** Arguments: first and last port of the range, the lock directory, how many ports to take. */
    public static void main(String[] args) throws Exception {
        int[] ports = Ports.free(Integer.parseInt(args[3]),
                new Ports.Range(Integer.parseInt(args[0]), Integer.parseInt(args[1])), Path.of(args[2]));
        System.out.println(Arrays.stream(ports).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        System.out.flush();
        while (System.in.read() != -1) {
            // Held until the test closes our input or kills us.
        }
    }
}
