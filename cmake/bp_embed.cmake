# Writes a C source holding the bytes of one file, so a daemon serves it from memory
# (its API docs: bp_docs). Run as a build step (lib/common/CMakeLists.txt):
#   cmake -DIN=<file> -DOUT=<file.c> -DSYMBOL=<name> -P bp_embed.cmake
# The source defines `const unsigned char <name>[]` (the bytes, then one NUL byte that
# is not counted, so a text file is also a C string) and `const size_t <name>_len`.
foreach(v IN ITEMS IN OUT SYMBOL)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "bp_embed.cmake: -D${v}= is required")
  endif()
endforeach()
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" nhex)
math(EXPR len "${nhex} / 2")
# Two hex digits per byte become "0x..,"; 32 bytes a line.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x..,){32})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}.tmp"
  "/* Generated from ${IN} by cmake/bp_embed.cmake; do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const unsigned char ${SYMBOL}[];\n"
  "extern const size_t ${SYMBOL}_len;\n"
  "const unsigned char ${SYMBOL}[] = {\n${bytes}0x00};\n"
  "const size_t ${SYMBOL}_len = ${len};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
