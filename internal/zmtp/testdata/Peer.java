import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;

import org.zeromq.ZMQ;

/**
 * A JeroMQ peer driven line by line from stdin, with the same protocol as
 * peer.py: Peer TYPE bind|connect PORT; commands "send HEX...", "recv",
 * "quit". JeroMQ 0.3.6 speaks ZMTP/2.0.
 */
public class Peer {
    public static void main(String[] args) throws Exception {
        ZMQ.Context ctx = ZMQ.context(1);
        int type = ZMQ.class.getField(args[0]).getInt(null);
        ZMQ.Socket s = ctx.socket(type);
        s.setLinger(0);
        s.setReceiveTimeOut(10000);
        if (type == ZMQ.SUB) {
            s.subscribe(new byte[0]);
        }
        if (args[1].equals("bind")) {
            System.out.println("port " + s.bindToRandomPort("tcp://127.0.0.1"));
        } else {
            s.connect("tcp://127.0.0.1:" + args[2]);
            System.out.println("connected");
        }
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            String[] words = line.trim().split("\\s+");
            if (words[0].equals("send")) {
                for (int i = 1; i < words.length; i++) {
                    byte[] part = words[i].equals("-") ? new byte[0] : fromHex(words[i]);
                    s.send(part, i < words.length - 1 ? ZMQ.SNDMORE : 0);
                }
                System.out.println("sent");
            } else if (words[0].equals("recv")) {
                byte[] part = s.recv(0);
                if (part == null) {
                    System.out.println("timeout");
                } else {
                    List<String> parts = new ArrayList<>();
                    parts.add(toHex(part));
                    while (s.hasReceiveMore()) {
                        parts.add(toHex(s.recv(0)));
                    }
                    System.out.println("msg " + String.join(" ", parts));
                }
            } else if (words[0].equals("quit")) {
                break;
            }
            System.out.flush();
        }
        s.close();
        ctx.term();
    }

    static byte[] fromHex(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    static String toHex(byte[] b) {
        if (b.length == 0) {
            return "-";
        }
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x));
        }
        return sb.toString();
    }
}
