-- One database per event-sourced store; the eventsourcing library creates its tables.
CREATE DATABASE case_ledger;
CREATE DATABASE notify;
CREATE DATABASE gateway_market_regulation;
CREATE DATABASE gateway_fire_rescue;
CREATE DATABASE gateway_urban_management;
CREATE DATABASE gateway_tobacco_monopoly;
CREATE DATABASE gateway_public_security;
CREATE DATABASE gateway_ecology_environment;
CREATE DATABASE gateway_housing_construction;
CREATE DATABASE gateway_health;
CREATE DATABASE gateway_taxation;
CREATE DATABASE gateway_human_resources_social_security;
CREATE DATABASE gateway_medical_security;
CREATE DATABASE gateway_maternity_insurance;
CREATE DATABASE gateway_housing_provident_fund;
CREATE DATABASE gateway_bank;
