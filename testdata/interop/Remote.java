import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Timer;
import java.util.TimerTask;

import org.zeromq.ZMQ;

/**
 * A host of JeroMQ sockets driven line by line from stdin, with the protocol
 * of testdata/interop/remote.py (read its docstring): "SEQ VERB NAME ARG..."
 * in, "SEQ ok [WORD...]" or "SEQ err REASON" out, frames in hex or as a
 * length of the test pattern. JeroMQ 0.3.6 speaks
 * ZMTP/2.0 and has no handshake events, so "event" always fails, and it
 * binds tcp only ("bind NAME tcp://127.0.0.1:*" picks a free port).
 *
 * Compiled and started by interop_remote_test.go:
 * javac -cp jeromq-0.3.6.jar -d DIR Remote.java; java -cp jeromq-0.3.6.jar:DIR Remote
 */
public class Remote {
    static final int WAIT_MS = 5000;
    static final long IDLE_MS = 60000;

    static final class Sock {
        final ZMQ.Context ctx = ZMQ.context(1);
        final ZMQ.Socket s;
        Thread flood;
        volatile boolean stopFlood;
        volatile long floodCount;
        volatile Exception floodError;

        Sock(String kind, List<String> opts) throws Exception {
            s = ctx.socket(ZMQ.class.getField(kind).getInt(null));
            s.setLinger(0);
            s.setSendTimeOut(WAIT_MS);
            s.setReconnectIVL(10);
            for (String opt : opts) {
                String[] kv = opt.split("=", 2);
                if (kv[0].equals("id")) {
                    s.setIdentity(fromHex(kv[1]));
                } else if (kv[0].equals("mandatory")) {
                    s.setRouterMandatory(kv[1].equals("1"));
                } else {
                    throw new IllegalArgumentException("unsupported option " + opt);
                }
            }
        }

        void startFlood() {
            if (flood != null) {
                throw new IllegalStateException("already flooding");
            }
            stopFlood = false;
            // A short send timeout lets the thread see "stop" soon while
            // the receiver holds it back.
            s.setSendTimeOut(50);
            flood = new Thread(() -> {
                try {
                    while (!stopFlood) {
                        if (!s.send("flood".getBytes(), ZMQ.SNDMORE)) {
                            continue;
                        }
                        while (!s.send(Long.toString(floodCount).getBytes(), 0)) {
                            // A message begun is finished: retry its last frame.
                        }
                        floodCount++;
                    }
                } catch (Exception e) {
                    floodError = e;
                }
            });
            flood.start();
        }

        long stopFlood() throws Exception {
            if (flood != null) {
                stopFlood = true;
                flood.join();
                flood = null;
                s.setSendTimeOut(WAIT_MS);
                if (floodError != null) {
                    throw floodError;
                }
            }
            return floodCount;
        }

        void close() throws Exception {
            stopFlood();
            s.close();
            ctx.term();
        }
    }

    static final Map<String, Sock> socks = new HashMap<>();

    public static void main(String[] args) throws Exception {
        Timer idle = new Timer(true);
        TimerTask[] expiry = {null};
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "US-ASCII"));
        String line;
        while (true) {
            if (expiry[0] != null) {
                expiry[0].cancel();
            }
            expiry[0] = new TimerTask() {
                public void run() {
                    System.err.println("Remote: no command for " + IDLE_MS + " ms, exiting");
                    Runtime.getRuntime().halt(3);
                }
            };
            idle.schedule(expiry[0], IDLE_MS);
            if ((line = in.readLine()) == null) {
                break;
            }
            String[] words = line.trim().split("\\s+");
            if (words.length == 0 || words[0].isEmpty()) {
                continue;
            }
            String answer;
            try {
                if (words.length < 3) {
                    throw new IllegalArgumentException("want SEQ VERB NAME ARG..., got " + line.trim());
                }
                List<String> rest = new ArrayList<>();
                for (int i = 3; i < words.length; i++) {
                    rest.add(words[i]);
                }
                answer = ("ok " + String.join(" ", run(words[1], words[2], rest))).trim();
            } catch (Exception e) {
                answer = "err " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' ');
            }
            System.out.println(words[0] + " " + answer);
            System.out.flush();
        }
        for (Sock s : socks.values()) {
            s.close();
        }
        System.exit(0);
    }

    static List<String> run(String verb, String name, List<String> args) throws Exception {
        List<String> out = new ArrayList<>();
        if (verb.equals("new")) {
            if (socks.containsKey(name)) {
                throw new IllegalArgumentException("socket " + name + " exists");
            }
            socks.put(name, new Sock(args.get(0), args.subList(1, args.size())));
            return out;
        }
        Sock s = socks.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no socket named " + name);
        }
        switch (verb) {
            case "bind": {
                String ep = args.get(0);
                if (!ep.equals("tcp://127.0.0.1:*")) {
                    throw new IllegalArgumentException("JeroMQ 0.3.6 host binds tcp://127.0.0.1:* only, not " + ep);
                }
                out.add("tcp://127.0.0.1:" + s.s.bindToRandomPort("tcp://127.0.0.1"));
                return out;
            }
            case "connect":
                s.s.connect(args.get(0));
                return out;
            case "send":
                for (int i = 0; i < args.size(); i++) {
                    if (!s.s.send(fromHex(args.get(i)), i < args.size() - 1 ? ZMQ.SNDMORE : 0)) {
                        throw new IllegalStateException("send timed out after " + WAIT_MS + " ms");
                    }
                }
                return out;
            case "recv": {
                int ms = args.isEmpty() ? WAIT_MS : Integer.parseInt(args.get(0));
                s.s.setReceiveTimeOut(ms);
                byte[] part = s.s.recv(0);
                if (part == null) {
                    if (!args.isEmpty()) {
                        out.add("none");
                        return out;
                    }
                    throw new IllegalStateException("nothing received in " + ms + " ms");
                }
                out.add(toHex(part));
                while (s.s.hasReceiveMore()) {
                    out.add(toHex(s.s.recv(0)));
                }
                return out;
            }
            case "sub":
                s.s.subscribe(fromHex(args.get(0)));
                return out;
            case "unsub":
                s.s.unsubscribe(fromHex(args.get(0)));
                return out;
            case "flood":
                s.startFlood();
                return out;
            case "stop":
                out.add(Long.toString(s.stopFlood()));
                return out;
            case "close":
                socks.remove(name);
                s.close();
                return out;
            case "event":
                throw new UnsupportedOperationException("JeroMQ 0.3.6 has no handshake events");
            default:
                throw new IllegalArgumentException("unknown command " + verb);
        }
    }

    static final int PATTERN_MAX = 1 << 20;
    static byte[] pattern;

    /** The first n bytes of remote.py's test pattern. */
    static byte[] pattern(int n) {
        if (n < 0 || n > PATTERN_MAX) {
            throw new IllegalArgumentException("pattern of " + n + " bytes: at most " + PATTERN_MAX);
        }
        if (pattern == null) {
            pattern = new byte[PATTERN_MAX];
            for (int i = 0; i < PATTERN_MAX; i++) {
                pattern[i] = (byte) (7 * i + (i >> 12));
            }
        }
        return Arrays.copyOf(pattern, n);
    }

    static byte[] fromHex(String h) {
        if (h.equals("-")) {
            return new byte[0];
        }
        if (h.startsWith("*")) {
            return pattern(Integer.parseInt(h.substring(1)));
        }
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            int hi = Character.digit(h.charAt(2 * i), 16), lo = Character.digit(h.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("not hex: " + h.substring(2 * i, 2 * i + 2));
            }
            b[i] = (byte) (hi << 4 | lo);
        }
        return b;
    }

    static final char[] HEX = "0123456789abcdef".toCharArray();

    static String toHex(byte[] b) {
        if (b.length == 0) {
            return "-";
        }
        if (b.length > 64 && b.length <= PATTERN_MAX && Arrays.equals(b, pattern(b.length))) {
            return "*" + b.length;
        }
        char[] c = new char[2 * b.length];
        for (int i = 0; i < b.length; i++) {
            c[2 * i] = HEX[(b[i] >> 4) & 0xf];
            c[2 * i + 1] = HEX[b[i] & 0xf];
        }
        return new String(c);
    }
}
