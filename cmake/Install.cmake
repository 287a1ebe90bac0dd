# `cmake --install` and `make package` (CPack, a .deb): docs/operations.md "Install".
#
#   <prefix>/bin/nexanest
#   <prefix>/share/nexanest/migrations/<db>/*.sql     found by the binary from its own location
#   <prefix>/share/nexanest/web/                      the dashboard (web/dist, when it is built)
#   <prefix>/share/nexanest/examples/                 nexanest.toml, nexanest.env
#   <prefix>/share/nexanest/monitoring/               Prometheus scrape config, alert rules, Grafana
#   <prefix>/lib/systemd/system/nexanest.service
#   <prefix>/share/doc/nexanest/                      operations.md, CHANGELOG.md
include(GNUInstallDirs)

set(NN_SHARE_DIR ${CMAKE_INSTALL_DATADIR}/nexanest)
install(TARGETS nexanest RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/migrations/ DESTINATION ${NN_SHARE_DIR}/migrations
        FILES_MATCHING PATTERN "*.sql")
# web/dist is built by npm after CMake configured the tree (make run, make test, make package):
# looked for when installing, not when configuring.
install(CODE "
  if(EXISTS \"${PROJECT_SOURCE_DIR}/web/dist/index.html\")
    file(INSTALL \"${PROJECT_SOURCE_DIR}/web/dist/\" DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${NN_SHARE_DIR}/web\"
         PATTERN \".*\" EXCLUDE)
  else()
    message(WARNING \"web/dist is not built (scripts/web-build.sh): the package has no dashboard\")
  endif()")
install(FILES packaging/nexanest.toml packaging/nexanest.env DESTINATION ${NN_SHARE_DIR}/examples)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/monitoring/ DESTINATION ${NN_SHARE_DIR}/monitoring OPTIONAL)
# The unit names the installed binary: written when installing, when the prefix is known
# (/usr for the package, whatever `cmake --install --prefix` says otherwise).
install(CODE "
  set(NN_BINDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}\")
  set(NN_DOCDIR \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/packaging/nexanest.service.in\"
                 \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/nexanest.service\" @ONLY)
  message(STATUS \"Installing: \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/nexanest.service\")")
install(FILES docs/operations.md CHANGELOG.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME nexanest)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "NexaNest operators <ops@nexanest.localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "NexaNest investment-portfolio platform (server, CLI, dashboard)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
# The shared libraries the binary links (libpq, hiredis, sodium, argon2, OpenSSL, Boost, fmt,
# spdlog, ...) are found by dpkg-shlibdeps; the servers it needs on the same machine by default
# are named here (a deployment with remote servers still satisfies them cheaply).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "postgresql-15, postgresql-15-partman, postgresql-client-15, redis-server")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
