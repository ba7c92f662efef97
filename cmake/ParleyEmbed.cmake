# parley_embed_files(OUTPUT <file.cpp> NAMESPACE <ns> HEADER <header> INPUT_DIR <dir> [EXTRA_FILES ...]
#                    [DEPENDS ...] [COMMENT ...])
# Adds a build step that compiles every file under INPUT_DIR (and EXTRA_FILES) into OUTPUT; see embed_files.cmake.
# DEPENDS names what must be rebuilt first (the inputs, or the step that generates them).
set(PARLEY_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_files.cmake)
function(parley_embed_files)
  cmake_parse_arguments(E "" "OUTPUT;NAMESPACE;HEADER;INPUT_DIR;COMMENT" "EXTRA_FILES;DEPENDS" ${ARGN})
  add_custom_command(
    OUTPUT ${E_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -DINPUT_DIR=${E_INPUT_DIR} -DOUTPUT=${E_OUTPUT} -DNAMESPACE=${E_NAMESPACE}
            -DHEADER=${E_HEADER} "-DEXTRA_FILES=${E_EXTRA_FILES}" -P ${PARLEY_EMBED_SCRIPT}
    DEPENDS ${E_DEPENDS} ${E_EXTRA_FILES} ${PARLEY_EMBED_SCRIPT}
    COMMENT ${E_COMMENT}
    VERBATIM)
endfunction()
