# bp_embed(TARGET FILE SYMBOL): compiles the bytes of FILE into TARGET as
# `const unsigned char SYMBOL[]` and `const size_t SYMBOL_len` (cmake/bp_embed.cmake
# writes the C source into the build tree, again whenever FILE changes). The daemons
# serve their API docs from these (lib/common/bp_docs.h).
set(BP_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/bp_embed.cmake)
function(bp_embed target file symbol)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embed/${symbol}.c)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DIN=${file} -DOUT=${out} -DSYMBOL=${symbol} -P ${BP_EMBED_SCRIPT}
    DEPENDS ${file} ${BP_EMBED_SCRIPT}
    COMMENT "Embedding ${file}"
    VERBATIM)
  target_sources(${target} PRIVATE ${out})
endfunction()
