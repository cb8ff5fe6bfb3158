{
  "targets": [
    {
      "target_name": "rampart_paths",
      "sources": ["paths.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
