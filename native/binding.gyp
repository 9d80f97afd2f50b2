{
  # igmpswitch packet I/O addon: AF_PACKET + recvmmsg/sendmmsg into WebAssembly.Memory (Linux only).
  # Built by `npm run build:native` -> native/build/Release/igmpswitch_packet.node
  "targets": [
    {
      "target_name": "igmpswitch_packet",
      "sources": ["src/addon.c", "src/napi-util.c", "src/offload.c", "src/packet.c", "src/ethtool.c", "src/netlink.c",
                  "src/process.c", "src/xdp.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "conditions": [
        ["OS!='linux'", { "type": "none" }]
      ]
    }
  ]
}
